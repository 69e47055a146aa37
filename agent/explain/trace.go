package explain

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Trace is the parsed output of one `ofproto/trace` run: the first pass
// through the bridge and one more pass per conntrack recirculation that
// ofproto/trace followed.
type Trace struct {
	Passes []Pass `json:"passes"`
}

// Pass is one traversal of the OpenFlow tables.
type Pass struct {
	// RecircID is the recirculation id this pass resumes ("" for the first).
	RecircID string `json:"recirc_id,omitempty"`
	// CTState is the conntrack state ofproto/trace assumed on resuming
	// ("trk|new"); CTDefault is true when it was its default rather than
	// a --ct-next value.
	CTState   string `json:"ct_state,omitempty"`
	CTDefault bool   `json:"ct_default,omitempty"`
	// NATFrom and NATTo are the addresses and ports before and after the
	// NAT that conntrack applied, when it did.
	NATFrom string `json:"nat_from,omitempty"`
	NATTo   string `json:"nat_to,omitempty"`
	// Flow is the packet as the pass starts.
	Flow            string   `json:"flow"`
	Steps           []Step   `json:"steps"`
	FinalFlow       string   `json:"final_flow,omitempty"`
	Megaflow        string   `json:"megaflow,omitempty"`
	DatapathActions string   `json:"datapath_actions,omitempty"`
	Notes           []string `json:"notes,omitempty"`
}

// Step is one OpenFlow table lookup.
type Step struct {
	Bridge string `json:"bridge"`
	// Depth is how deeply the lookup is nested in resubmits that return.
	Depth    int    `json:"depth"`
	Table    int    `json:"table"`
	NoMatch  bool   `json:"no_match,omitempty"`
	Match    string `json:"match,omitempty"`
	Priority int    `json:"priority"`
	Cookie   uint64 `json:"cookie"`
	// Text is the lookup's line as ofproto/trace printed it.
	Text    string   `json:"text"`
	Actions []Action `json:"actions,omitempty"`
}

// Action is one OpenFlow action executed by a step, with the remarks
// ofproto/trace printed under it ("-> output to native tunnel").
type Action struct {
	Text  string   `json:"text"`
	Notes []string `json:"notes,omitempty"`
}

var (
	tableLineRE = regexp.MustCompile(`^( *)(\d+)\. (.*)$`)
	ruleRE      = regexp.MustCompile(`^(?:(.*), )?priority (\d+)(?:, cookie (0x[0-9a-fA-F]+))?$`)
	bridgeRE    = regexp.MustCompile(`^( *)bridge\("([^"]*)"\)$`)
	recircRE    = regexp.MustCompile(`^recirc\((0x[0-9a-fA-F]+)\) - resume conntrack with (default )?ct_state=(\S+)`)
)

// ParseTrace parses ofproto/trace output.
func ParseTrace(text string) (*Trace, error) {
	p := traceParser{tr: &Trace{}}
	p.newPass()
	for i, line := range strings.Split(text, "\n") {
		if err := p.line(strings.TrimRight(line, " \r")); err != nil {
			return nil, fmt.Errorf("ofproto/trace output line %d: %w", i+1, err)
		}
	}
	if len(p.tr.Passes[0].Steps) == 0 && p.tr.Passes[0].Flow == "" {
		return nil, fmt.Errorf("not ofproto/trace output: %q", firstLine(text))
	}
	return p.tr, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

type openStep struct {
	pass, idx int
	col       int
}

type openBridge struct {
	name   string
	indent int
}

type traceParser struct {
	tr      *Trace
	steps   []openStep
	bridges []openBridge
	// inHeader is true between the ===== lines of a recirculation header.
	inHeader bool
	// lastAction points at the action a "->" remark belongs to.
	lastStep, lastAction int
}

func (p *traceParser) pass() *Pass { return &p.tr.Passes[len(p.tr.Passes)-1] }

func (p *traceParser) newPass() {
	p.tr.Passes = append(p.tr.Passes, Pass{})
	p.steps, p.bridges = nil, nil
	p.lastStep, p.lastAction = -1, -1
}

func (p *traceParser) line(line string) error {
	trimmed := strings.TrimSpace(line)
	indent := len(line) - len(strings.TrimLeft(line, " "))
	ps := p.pass()
	switch {
	case trimmed == "":
		return nil
	case strings.HasPrefix(trimmed, "====="):
		p.inHeader = !p.inHeader
		return nil
	case p.inHeader:
		return p.headerLine(trimmed)
	case indent == 0 && strings.HasPrefix(line, "Flow: "):
		ps.Flow = strings.TrimPrefix(line, "Flow: ")
		return nil
	case indent == 0 && strings.HasPrefix(line, "Final flow: "):
		ps.FinalFlow = strings.TrimPrefix(line, "Final flow: ")
		return nil
	case indent == 0 && strings.HasPrefix(line, "Megaflow: "):
		ps.Megaflow = strings.TrimPrefix(line, "Megaflow: ")
		return nil
	case indent == 0 && strings.HasPrefix(line, "Datapath actions: "):
		ps.DatapathActions = strings.TrimPrefix(line, "Datapath actions: ")
		return nil
	case strings.Trim(trimmed, "-") == "":
		return nil // underline of a bridge title
	}
	if m := bridgeRE.FindStringSubmatch(line); m != nil {
		p.popBridges(indent)
		p.bridges = append(p.bridges, openBridge{name: m[2], indent: len(m[1])})
		return nil
	}
	if ps.DatapathActions != "" {
		// What follows the datapath actions explains them ("This flow is
		// handled by the userspace slow path because it: ...").
		ps.Notes = append(ps.Notes, trimmed)
		return nil
	}
	if m := tableLineRE.FindStringSubmatch(line); m != nil && !strings.HasPrefix(trimmed, "->") {
		return p.tableLine(m)
	}
	p.popBridges(indent)
	if strings.HasPrefix(trimmed, "->") {
		note := strings.TrimSpace(strings.TrimPrefix(trimmed, "->"))
		if p.lastStep >= 0 {
			st := &ps.Steps[p.lastStep]
			if p.lastAction >= 0 {
				st.Actions[p.lastAction].Notes = append(st.Actions[p.lastAction].Notes, note)
			} else {
				st.Actions = append(st.Actions, Action{Notes: []string{note}})
			}
		} else {
			ps.Notes = append(ps.Notes, note)
		}
		return nil
	}
	// An action: it belongs to the innermost open step printed left of it.
	for len(p.steps) > 0 && p.steps[len(p.steps)-1].col >= indent {
		p.steps = p.steps[:len(p.steps)-1]
	}
	if len(p.steps) == 0 {
		// "thaw", "Resuming from table 15": before any lookup.
		ps.Notes = append(ps.Notes, trimmed)
		return nil
	}
	top := p.steps[len(p.steps)-1]
	st := &ps.Steps[top.idx]
	st.Actions = append(st.Actions, Action{Text: trimmed})
	p.lastStep, p.lastAction = top.idx, len(st.Actions)-1
	return nil
}

// popBridges closes the nested bridges a line at indent has left.
func (p *traceParser) popBridges(indent int) {
	for len(p.bridges) > 1 && indent <= p.bridges[len(p.bridges)-1].indent {
		p.bridges = p.bridges[:len(p.bridges)-1]
	}
}

func (p *traceParser) headerLine(trimmed string) error {
	if m := recircRE.FindStringSubmatch(trimmed); m != nil {
		p.newPass()
		ps := p.pass()
		ps.RecircID, ps.CTDefault, ps.CTState = m[1], m[2] != "", m[3]
		return nil
	}
	ps := p.pass()
	switch {
	case strings.HasPrefix(trimmed, "Initial flow:"):
		ps.NATFrom = strings.TrimSpace(strings.TrimPrefix(trimmed, "Initial flow:"))
	case strings.HasPrefix(trimmed, "Modified flow:"):
		ps.NATTo = strings.TrimSpace(strings.TrimPrefix(trimmed, "Modified flow:"))
	case strings.HasPrefix(trimmed, "Replacing src/dst"):
	default:
		ps.Notes = append(ps.Notes, trimmed)
	}
	return nil
}

func (p *traceParser) tableLine(m []string) error {
	ps := p.pass()
	table, err := strconv.Atoi(m[2])
	if err != nil {
		return fmt.Errorf("table number %q: %w", m[2], err)
	}
	// ofproto/trace prints "%2d. ": a one-digit table is padded by a space.
	col := len(m[1])
	if len(m[2]) == 1 && col > 0 {
		col--
	}
	p.popBridges(col)
	for len(p.steps) > 0 && p.steps[len(p.steps)-1].col >= col {
		p.steps = p.steps[:len(p.steps)-1]
	}
	st := Step{Depth: len(p.steps), Table: table, Text: strings.TrimSpace(m[0])}
	if len(p.bridges) > 0 {
		st.Bridge = p.bridges[len(p.bridges)-1].name
	}
	rest := m[3]
	if r := ruleRE.FindStringSubmatch(rest); r != nil {
		st.Match = r[1]
		st.Priority, _ = strconv.Atoi(r[2])
		if r[3] != "" {
			st.Cookie, err = strconv.ParseUint(r[3][2:], 16, 64)
			if err != nil {
				return fmt.Errorf("cookie %q: %w", r[3], err)
			}
		}
	} else {
		// "No match.", "No match, and a "packet-in" is called for.", ...
		st.NoMatch = true
	}
	ps.Steps = append(ps.Steps, st)
	p.steps = append(p.steps, openStep{pass: len(p.tr.Passes) - 1, idx: len(ps.Steps) - 1, col: col})
	p.lastStep, p.lastAction = len(ps.Steps)-1, -1
	return nil
}
