package unirec

import "fmt"

// Type is a UniRec field type. The numeric values are those of the C enum
// ur_field_type_t, so they can be compared with C diagnostics.
type Type uint8

// The 29 UniRec field types.
const (
	TypeString Type = iota
	TypeBytes
	TypeChar
	TypeUint8
	TypeInt8
	TypeUint16
	TypeInt16
	TypeUint32
	TypeInt32
	TypeUint64
	TypeInt64
	TypeFloat
	TypeDouble
	TypeIPAddr
	TypeMACAddr
	TypeTime
	TypeUint8Array
	TypeInt8Array
	TypeUint16Array
	TypeInt16Array
	TypeUint32Array
	TypeInt32Array
	TypeUint64Array
	TypeInt64Array
	TypeFloatArray
	TypeDoubleArray
	TypeIPAddrArray
	TypeMACAddrArray
	TypeTimeArray
	numTypes
)

// typeInfo holds what the C library knows of a type: its template name and its size,
// negative for dynamic types (the magnitude is the element size of an array).
var typeInfo = [numTypes]struct {
	name string
	size int
}{
	TypeString: {"string", -1}, TypeBytes: {"bytes", -1}, TypeChar: {"char", 1},
	TypeUint8: {"uint8", 1}, TypeInt8: {"int8", 1},
	TypeUint16: {"uint16", 2}, TypeInt16: {"int16", 2},
	TypeUint32: {"uint32", 4}, TypeInt32: {"int32", 4},
	TypeUint64: {"uint64", 8}, TypeInt64: {"int64", 8},
	TypeFloat: {"float", 4}, TypeDouble: {"double", 8}, TypeIPAddr: {"ipaddr", 16},
	TypeMACAddr: {"macaddr", 6}, TypeTime: {"time", 8},
	TypeUint8Array: {"uint8*", -1}, TypeInt8Array: {"int8*", -1},
	TypeUint16Array: {"uint16*", -2}, TypeInt16Array: {"int16*", -2},
	TypeUint32Array: {"uint32*", -4}, TypeInt32Array: {"int32*", -4},
	TypeUint64Array: {"uint64*", -8}, TypeInt64Array: {"int64*", -8},
	TypeFloatArray: {"float*", -4}, TypeDoubleArray: {"double*", -8},
	TypeIPAddrArray: {"ipaddr*", -16}, TypeMACAddrArray: {"macaddr*", -6},
	TypeTimeArray: {"time*", -8},
}

// ParseType returns the type with the given template name, for example "uint32" or
// "ipaddr*". Names are case-sensitive, as in C.
func ParseType(name string) (Type, error) {
	for t := range numTypes {
		if typeInfo[t].name == name {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown unirec type %q", name)
}

// String returns the type's name as it appears in template strings.
func (t Type) String() string {
	if t >= numTypes {
		return fmt.Sprintf("type(%d)", uint8(t))
	}
	return typeInfo[t].name
}

// Size returns the number of bytes a static field of this type occupies in a record.
// For a dynamic type it returns the negative number the C library uses to order
// dynamic fields: -1 for string and bytes, minus the element size for arrays.
func (t Type) Size() int { return typeInfo[t].size }

// Dynamic reports whether fields of this type live in the variable part of a record.
func (t Type) Dynamic() bool { return typeInfo[t].size < 0 }

// IsArray reports whether t is one of the 13 array types.
func (t Type) IsArray() bool { return t >= TypeUint8Array && t < numTypes }

// Elem returns the scalar type of an array's elements, or t itself for a non-array type.
func (t Type) Elem() Type {
	if !t.IsArray() {
		return t
	}
	return [...]Type{TypeUint8, TypeInt8, TypeUint16, TypeInt16, TypeUint32, TypeInt32,
		TypeUint64, TypeInt64, TypeFloat, TypeDouble, TypeIPAddr, TypeMACAddr,
		TypeTime}[t-TypeUint8Array]
}
