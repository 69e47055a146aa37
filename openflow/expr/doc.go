// Package expr compiles OVN's logical match language (the `match` column of
// Southbound Logical_Flow rows, ovn-sb(5)) into OpenFlow matches, as
// ovn-controller does in OVN 24.03 (lib/lex.c, lib/expr.c,
// lib/logical-fields.c).
//
// It owns, as pure code with no I/O:
//
//   - the lexer (Lexer, Token), shared with the logical actions parser;
//   - the logical symbol table (Symtab, NewOVNSymtab): fields, subfields,
//     predicates, string fields, prerequisites and write scopes;
//   - the expression tree and its phases: Parse, Annotate (predicate and
//     subfield expansion, prerequisites), Simplify, EvaluateConditions
//     (is_chassis_resident), Normalize and ToMatches (including conjunctive
//     matches), with errors in OVN's exact wording;
//   - Compile, which runs the whole pipeline for one match string;
//   - the debug commands of upstream's `ovstest test-ovn` (RunDebugCommand),
//     which `chassisd debug` exposes.
//
// The phases consume their input expression: callers must not reuse an
// expression after passing it to Annotate, Simplify, EvaluateConditions or
// Normalize (use Clone first).
package expr
