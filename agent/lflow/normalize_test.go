package lflow

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Normalization of flow dumps for comparison: conjunction ids are replaced
// by the text of their conj_id flow (so equal conjunctive matches compare
// equal whatever their ids), the conjunction() actions of a flow are
// sorted, and group and meter ids are renumbered in order of first use in
// the sorted flow list.

var (
	reConjAct = regexp.MustCompile(`conjunction\((\d+),(\d+/\d+)\)`)
	reConjID  = regexp.MustCompile(`conj_id=(\d+)`)
	reGroup   = regexp.MustCompile(`group:(\d+)`)
	reMeter   = regexp.MustCompile(`meter:(\d+)|meter_id=(\d+)`)
)

// dumpLogicalTables keeps the flows this package produces of an `ovs-ofctl
// dump-flows --no-stats` output: the logical pipelines (tables 8..36 and
// 42..63), MAC bindings (66, 67), LB hairpin (68, 70; 69 is learnt), FDB
// (71, 72) and port security (73..75).
func dumpLogicalTables(dump string) []string {
	var out []string
	for _, line := range strings.Split(dump, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "cookie=") && !strings.HasPrefix(line, "table=") {
			continue
		}
		i := strings.Index(line, "table=")
		if i < 0 {
			continue
		}
		j := strings.IndexByte(line[i:], ',')
		tbl, err := strconv.Atoi(line[i+len("table=") : i+j])
		if err != nil {
			continue
		}
		if isLogicalTable(tbl) {
			out = append(out, line)
		}
	}
	return out
}

func isLogicalTable(tbl int) bool {
	return (tbl >= 8 && tbl <= 36) || (tbl >= 42 && tbl <= 63) || tbl == 66 || tbl == 67 || tbl == 68 || (tbl >= 70 && tbl <= 75)
}

func normalizeFlows(lines []string) []string {
	// Name each conj id after its conj_id flow, without the id itself.
	conjName := map[string]string{}
	for _, l := range lines {
		if m := reConjID.FindStringSubmatch(l); m != nil {
			name := strings.Replace(l, m[0], "conj_id=*", 1)
			if i := strings.Index(name, " actions="); i >= 0 {
				name = name[:i]
			}
			conjName[m[1]] = "{" + name + "}"
		}
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		l = reConjID.ReplaceAllStringFunc(l, func(s string) string {
			id := reConjID.FindStringSubmatch(s)[1]
			if n, ok := conjName[id]; ok {
				return "conj_id=" + n
			}
			return s
		})
		if i := strings.Index(l, " actions="); i >= 0 && strings.Contains(l[i:], "conjunction(") {
			acts := strings.Split(l[i+len(" actions="):], ",conjunction")
			for k := range acts {
				if k > 0 {
					acts[k] = "conjunction" + acts[k]
				}
				acts[k] = reConjAct.ReplaceAllStringFunc(acts[k], func(s string) string {
					m := reConjAct.FindStringSubmatch(s)
					n, ok := conjName[m[1]]
					if !ok {
						n = "?" + m[1]
					}
					return "conjunction(" + n + "," + m[2] + ")"
				})
			}
			sort.Strings(acts)
			l = l[:i] + " actions=" + strings.Join(acts, ",")
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return renumber(renumber(out, reGroup, "group:G"), reMeter, "meter:M")
}

// renumber rewrites the ids re captures in order of first appearance.
func renumber(lines []string, re *regexp.Regexp, prefix string) []string {
	ids := map[string]int{}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = re.ReplaceAllStringFunc(l, func(s string) string {
			m := re.FindStringSubmatch(s)
			id := ""
			for _, g := range m[1:] {
				if g != "" {
					id = g
				}
			}
			n, ok := ids[id]
			if !ok {
				n = len(ids) + 1
				ids[id] = n
			}
			return fmt.Sprintf("%s%d", prefix, n)
		})
	}
	return out
}

// diffSorted returns the lines only in a and only in b.
func diffSorted(a, b []string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, l := range a {
		count[l]++
	}
	for _, l := range b {
		count[l]--
	}
	for _, l := range a {
		if count[l] > 0 {
			onlyA = append(onlyA, l)
			count[l]--
		}
	}
	for _, l := range b {
		if count[l] < 0 {
			onlyB = append(onlyB, l)
			count[l]++
		}
	}
	return onlyA, onlyB
}
