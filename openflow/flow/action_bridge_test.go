package flow

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chassisd/chassisd/openflow/ovstest"
)

// TestActionsOnBridge installs the action corpus on a real userspace
// bridge with ovs-ofctl and checks that String of each action list equals
// what "ovs-ofctl -O OpenFlow15 dump-flows --no-stats" prints for it. It
// adds what a live br-int has and the fake-switch test cannot: groups and
// meters the actions refer to, and the Geneve TLV mapping of tun_metadata0.
func TestActionsOnBridge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ovs-vswitchd")
	}
	sw := ovstest.Start(t)
	sw.AddBridge("br0")
	sw.Ofctl("add-tlv-map", "br0", "{class=0x102,type=0x80,len=4}->tun_metadata0")
	for id := 1; id <= 30; id++ {
		sw.Ofctl("add-group", "br0", fmt.Sprintf("group_id=%d,type=all", id))
	}
	for id := 1; id <= 4; id++ {
		sw.Ofctl("add-meter", "br0", fmt.Sprintf("meter=%d,pktps,band=type=drop,rate=10", id))
	}

	texts := append(actionCorpus(t),
		"set_field:0x3->tun_metadata0",
		"set_field:0x1/0xffffff->tun_id,set_field:0x2->tun_metadata0,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30],output:1",
		"move:NXM_NX_TUN_METADATA0[16..30]->NXM_NX_REG14[0..14],move:NXM_NX_TUN_METADATA0[0..15]->NXM_NX_REG15[0..15]",
		"push:NXM_OF_IN_PORT[],load:0xffff->NXM_OF_IN_PORT[],resubmit(,65),pop:NXM_OF_IN_PORT[]",
	)
	var lines []string
	want := map[int]string{}
	for i, text := range texts {
		m, err := matchFor(text)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		as, err := parseActionsText(text)
		if err != nil {
			t.Errorf("parse %q: %v", text, err)
			continue
		}
		prio := i + 1
		want[prio] = as.String()
		flow := "table=0,priority=" + strconv.Itoa(prio)
		if m != "" {
			flow += "," + m
		}
		lines = append(lines, flow+",actions="+text)
	}
	file := filepath.Join(t.TempDir(), "flows.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sw.Ofctl("--bundle", "add-flows", "br0", file)
	dump := sw.Ofctl("--no-names", "dump-flows", "--no-stats", "br0")

	prioRE := regexp.MustCompile(`priority=(\d+)`)
	seen := 0
	for _, line := range strings.Split(dump, "\n") {
		head, acts, ok := strings.Cut(line, " actions=")
		if !ok {
			continue
		}
		m := prioRE.FindStringSubmatch(head)
		if m == nil {
			continue
		}
		prio, _ := strconv.Atoi(m[1])
		w, ok := want[prio]
		if !ok {
			continue
		}
		seen++
		if acts != w {
			t.Errorf("priority %d (%s):\n dump %s\n ours %s", prio, texts[prio-1], acts, w)
		}
	}
	if seen != len(want) {
		t.Errorf("dump shows %d of %d flows:\n%s", seen, len(want), dump)
	}
	t.Logf("%d action lists: dump-flows text compared", seen)
}
