package lflow

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/chassisd/chassisd/openflow/conn"
	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// GroupDescription returns the ovs-ofctl style description of group id
// ("type=select,selection_method=dp_hash,bucket=...") as the actions
// encoder allocated it.
func (t *Translator) GroupDescription(id uint32) (string, bool) {
	if t.groupRefs[id] == 0 {
		return "", false
	}
	return t.groupTable.Lookup(id)
}

// MeterName returns the name (Meter row name, or set_meter's private
// description) of meter id.
func (t *Translator) MeterName(id uint32) (string, bool) {
	if t.meterRefs[id] == 0 {
		return "", false
	}
	return t.meterTable.Lookup(id)
}

func (t *Translator) group(id uint32) (ofctrl.Group, bool) {
	desc, ok := t.GroupDescription(id)
	if !ok {
		return ofctrl.Group{}, false
	}
	g, err := parseGroupDescription(id, desc)
	if err != nil {
		t.log.Warn("cannot build group", "group", id, "description", desc, "error", err)
		return ofctrl.Group{}, false
	}
	return g, true
}

func (t *Translator) meter(id uint32) (ofctrl.Meter, bool) {
	name, ok := t.MeterName(id)
	if !ok {
		return ofctrl.Meter{}, false
	}
	m, ok := buildMeter(id, name, t.meterRows)
	return m, ok
}

// buildMeter builds meter id from a Southbound Meter row (named meters) or
// from set_meter's private description, as ofctrl.c's update_ovs_meter and
// add_meter_string do. A named meter without a row is not installed.
func buildMeter(id uint32, name string, rows map[string]Meter) (ofctrl.Meter, bool) {
	const setMeterPrefix = "__string: uuid "
	if strings.HasPrefix(name, setMeterPrefix) {
		// "__string: uuid <uuid> kbps [burst ]stats bands=type=drop rate=R[ burst_size=B]"
		rest := name[len(setMeterPrefix):]
		if len(rest) < 37 {
			return ofctrl.Meter{}, false
		}
		m := ofctrl.Meter{ID: id, Flags: conn.MeterFlagKbps | conn.MeterFlagStats}
		var rate, burst uint64
		for _, w := range strings.Fields(rest[37:]) {
			switch {
			case w == "burst":
				m.Flags |= conn.MeterFlagBurst
			case strings.HasPrefix(w, "rate="):
				rate, _ = strconv.ParseUint(w[len("rate="):], 10, 32)
			case strings.HasPrefix(w, "burst_size="):
				burst, _ = strconv.ParseUint(w[len("burst_size="):], 10, 32)
			}
		}
		m.Bands = conn.AppendDropBand(nil, uint32(rate), uint32(burst))
		return m, true
	}
	row, ok := rows[name]
	if !ok {
		return ofctrl.Meter{}, false
	}
	m := ofctrl.Meter{ID: id, Flags: conn.MeterFlagStats}
	if row.Unit == "pktps" {
		m.Flags |= conn.MeterFlagPktps
	} else {
		m.Flags |= conn.MeterFlagKbps
	}
	for _, b := range row.Bands {
		if b.BurstSize != 0 {
			m.Flags |= conn.MeterFlagBurst
		}
		m.Bands = conn.AppendDropBand(m.Bands, b.Rate, b.BurstSize)
	}
	return m, true
}

// Groups returns every group the current translation references.
func (t *Translator) Groups() []ofctrl.Group {
	var out []ofctrl.Group
	for _, id := range sortedKeys(t.groupRefs) {
		if g, ok := t.group(id); ok {
			out = append(out, g)
		}
	}
	return out
}

// Meters returns every meter the current translation references and can
// install (named meters need their Southbound Meter row).
func (t *Translator) Meters() []ofctrl.Meter {
	var out []ofctrl.Meter
	for _, id := range sortedKeys(t.meterRefs) {
		if m, ok := t.meter(id); ok {
			out = append(out, m)
		}
	}
	return out
}

// MeterText formats m as `ovs-ofctl -O OpenFlow15 dump-meters` prints it,
// on one line: "meter=1 pktps burst stats bands= type=drop rate=10
// burst_size=5". Only drop bands (the only kind OVN uses) are decoded.
func MeterText(m ofctrl.Meter) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "meter=%d", m.ID)
	for _, f := range []struct {
		bit  uint16
		name string
	}{{conn.MeterFlagKbps, "kbps"}, {conn.MeterFlagPktps, "pktps"}, {conn.MeterFlagBurst, "burst"}, {conn.MeterFlagStats, "stats"}} {
		if m.Flags&f.bit != 0 {
			sb.WriteString(" " + f.name)
		}
	}
	sb.WriteString(" bands=")
	for b := m.Bands; len(b) >= 16; b = b[16:] {
		rate, burst := binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])
		fmt.Fprintf(&sb, " type=drop rate=%d", rate)
		if burst != 0 {
			fmt.Fprintf(&sb, " burst_size=%d", burst)
		}
	}
	return sb.String()
}
