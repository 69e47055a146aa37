// Package expr compiles OVN's logical match language (the `match` column of
// Southbound Logical_Flow rows, ovn-sb(5)) into OpenFlow matches, as
// ovn-controller does in OVN 24.03 (lib/lex.c, lib/expr.c,
// lib/logical-fields.c).
//
// It owns, as pure code with no I/O:
//
//   - the lexer (Lexer, Token; Token.String is OVN's lex_token_format),
//     shared with the logical actions parser, and ExpandTemplates (^name);
//   - the logical symbol table (NewOVNSymtab, DefaultSymtab): fields,
//     subfields, predicates, string fields, prerequisites, must_crossproduct
//     and write scopes;
//   - the expression tree and its phases: ParseString/Parse, Annotate
//     (predicate and subfield expansion, prerequisites), Simplify,
//     EvaluateConditions (is_chassis_resident), Normalize and ToMatches
//     (including conjunctive matches), with errors (*Error) in OVN's exact
//     wording;
//   - Compile, which runs the whole pipeline for one logical flow match;
//   - the debug commands of upstream's `ovstest test-ovn` (RunDebugCommand),
//     which `chassisd debug` exposes.
//
// For the agent: build address sets and port groups once with AddressSets
// and PortGroups (port groups keyed by southbound name "<dp key>_<name>"),
// then per logical flow and datapath call Compile with LookupPort,
// IsChassisResident, DPID, the actions' Prereqs and a ConjBase. Each Match
// has Flow (a flow.Match without metadata), and either no conjunctions (an
// ordinary flow), Conjunctions (clause flows: actions are only
// Conjunction.Action()s), or ConjID (the flow that carries the real actions).
//
// For the actions parser: ParseField (field reference with prerequisites),
// ParseConstant, ParseConstantSet, TypeCheck, Field.Resolve and
// Expr.String (prerequisites print as formatted expressions).
//
// The phases consume their input expression: callers must not reuse an
// expression after passing it to Annotate, Simplify, EvaluateConditions or
// Normalize (Clone it first). A Symtab is safe for concurrent use once
// built.
package expr
