package expr

func (m *Match) matchString() string { return "" }
