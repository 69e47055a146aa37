package lflow

import (
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
