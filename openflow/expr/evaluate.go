package expr

// Evaluate computes e for one packet (OVN expr_evaluate). fieldValue returns
// the packet's value of an OVS field, big-endian, Field.Bytes() long;
// lookupPort maps port names for string fields (an unknown name makes the
// comparison false). Conditions count as true. It is slow and meant for
// tests and debugging; use ToMatches for flows.
func Evaluate(e *Expr, fieldValue func(*OVSField) []byte, lookupPort func(string) (uint32, bool)) bool {
	switch e.Type {
	case Cmp:
		return evaluateCmp(e, fieldValue, lookupPort)
	case And:
		for _, s := range e.Subs {
			if !Evaluate(s, fieldValue, lookupPort) {
				return false
			}
		}
		return true
	case Or:
		for _, s := range e.Subs {
			if Evaluate(s, fieldValue, lookupPort) {
				return true
			}
		}
		return false
	case Boolean:
		return e.Bool
	case Condition:
		return !e.CondNot
	}
	return false
}

func evaluateCmp(e *Expr, fieldValue func(*OVSField) []byte, lookupPort func(string) (uint32, bool)) bool {
	f := e.Symbol.Field
	if f == nil {
		return false
	}
	v := fieldValue(f)
	cmp := 0
	if e.Symbol.Width != 0 {
		n := f.Bytes()
		cst := e.Value[value128Bytes-n:]
		mask := e.Mask[value128Bytes-n:]
		for i := 0; i < n; i++ {
			b := v[i] & mask[i]
			if b != cst[i] {
				if b < cst[i] {
					cmp = -1
				} else {
					cmp = 1
				}
				break
			}
		}
	} else {
		var x uint64
		for _, b := range v {
			x = x<<8 | uint64(b)
		}
		port, ok := uint32(0), false
		if lookupPort != nil {
			port, ok = lookupPort(e.Str)
		}
		if !ok {
			return false
		}
		switch {
		case x < uint64(port):
			cmp = -1
		case x > uint64(port):
			cmp = 1
		}
	}
	return e.Relop.test(cmp)
}

// honorsInvariants checks OVN's structural invariants (tests use it).
func (e *Expr) honorsInvariants() bool {
	switch e.Type {
	case Cmp:
		if e.Symbol.Width != 0 {
			for i := range e.Value {
				if e.Value[i]&^e.Mask[i] != 0 {
					return false
				}
			}
		}
		return true
	case And, Or:
		if len(e.Subs) < 2 {
			return false
		}
		for _, s := range e.Subs {
			if s.Type == e.Type || !s.honorsInvariants() {
				return false
			}
		}
	}
	return true
}

func (e *Expr) isNormalizedAnd() bool {
	for _, s := range e.Subs {
		if s.uniqueSymbol() == nil {
			return false
		}
	}
	return true
}

// isNormalized reports whether e has the form Normalize returns.
func (e *Expr) isNormalized() bool {
	switch e.Type {
	case And:
		return e.isNormalizedAnd()
	case Or:
		if e.uniqueSymbol() == nil {
			for _, s := range e.Subs {
				if s.uniqueSymbol() == nil && !s.isNormalizedAnd() {
					return false
				}
			}
		}
		return true
	case Condition:
		return false
	}
	return true
}
