// Package ifc parses libtrap interface specifiers, the argument of a NEMEA module's
// `-i` option, into one Spec per interface (IFC), byte-for-byte with the rules of
// libtrap 1.18: inputs first then outputs, the `timeout=`, `buffer=` and `autoflush=`
// setters cut out of any position, then the parameters of each interface type.
package ifc
