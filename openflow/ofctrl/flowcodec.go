package ofctrl

import "github.com/chassisd/chassisd/openflow/flow"

// FlowDecoder decodes switch dumps into openflow/flow values, so installed
// flows compare with desired flow.Flow values by value.
type FlowDecoder struct{}

// DecodeMatch implements Decoder.
func (FlowDecoder) DecodeMatch(oxm []byte) (Match, error) {
	m, err := flow.DecodeOXMFields(oxm)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeActions implements Decoder.
func (FlowDecoder) DecodeActions(b []byte) (Actions, error) {
	a, err := flow.DecodeActions(b)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// FromFlow converts a flow.Flow into the reconciler's Flow.
func FromFlow(f flow.Flow) Flow {
	return Flow{Table: f.Table, Priority: f.Priority, Cookie: f.Cookie, Match: f.Match, Actions: f.Actions}
}

// PutFlows puts flow.Flow values into the desired table.
func (t Txn) PutFlows(flows []flow.Flow) {
	for _, f := range flows {
		t.PutFlow(FromFlow(f))
	}
}

// SetFlowValues replaces the desired flows with flow.Flow values (see
// SetFlows).
func (c *Controller) SetFlowValues(flows []flow.Flow) uint64 {
	conv := make([]Flow, len(flows))
	for i, f := range flows {
		conv[i] = FromFlow(f)
	}
	return c.SetFlows(conv)
}
