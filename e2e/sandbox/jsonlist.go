package sandbox

import (
	"encoding/json"
	"fmt"
)

// ParseJSONList parses the output of `ovn-sbctl|ovn-nbctl|ovs-vsctl
// --format=json list|find ...` into one map per row, keyed by column name,
// with values as OVSDB's JSON notation decodes them (see StringMap and
// Strings).
func ParseJSONList(out string) ([]map[string]any, error) {
	var res struct {
		Headings []string `json:"headings"`
		Data     [][]any  `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return nil, fmt.Errorf("decode --format=json output: %w\n%s", err, out)
	}
	rows := make([]map[string]any, 0, len(res.Data))
	for _, d := range res.Data {
		row := make(map[string]any, len(res.Headings))
		for i, h := range res.Headings {
			if i < len(d) {
				row[h] = d[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// StringMap decodes an OVSDB JSON map, ["map", [[k, v], ...]].
func StringMap(v any) map[string]string {
	out := map[string]string{}
	pair, ok := v.([]any)
	if !ok || len(pair) != 2 || pair[0] != "map" {
		return out
	}
	for _, kv := range pair[1].([]any) {
		if e, ok := kv.([]any); ok && len(e) == 2 {
			out[fmt.Sprint(Strings(e[0])[0])] = fmt.Sprint(Strings(e[1])[0])
		}
	}
	return out
}

// Strings decodes an OVSDB JSON atom or set (a string, a number,
// ["uuid", u], or ["set", [...]]) into strings.
func Strings(v any) []string {
	switch x := v.(type) {
	case []any:
		if len(x) == 2 && (x[0] == "uuid" || x[0] == "named-uuid") {
			return []string{fmt.Sprint(x[1])}
		}
		if len(x) == 2 && x[0] == "set" {
			var out []string
			for _, e := range x[1].([]any) {
				out = append(out, Strings(e)...)
			}
			return out
		}
		return nil
	default:
		return []string{fmt.Sprint(x)}
	}
}
