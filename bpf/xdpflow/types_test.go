package xdpflow

import (
	"reflect"
	"testing"

	"github.com/cilium/ebpf/btf"
)

// TestTypesMatchObject checks the Go mirrors of the program's structs against the
// sizes the compiler wrote into BTF, for both objects.
func TestTypesMatchObject(t *testing.T) {
	want := map[string]reflect.Type{
		"flow_key":      reflect.TypeFor[Key](),
		"flow_counters": reflect.TypeFor[FlowCounters](),
		"packet_event":  reflect.TypeFor[PacketEvent](),
		"flow_slot":     reflect.TypeFor[flowSlot](),
	}
	var fk *btf.Struct
	for _, layout := range layouts {
		spec, err := loadSpec(layout)
		if err != nil {
			t.Fatal(err)
		}
		for name, goType := range want {
			var s *btf.Struct
			if err := spec.Types.TypeByName(name, &s); err != nil {
				t.Fatalf("%s: %v", layout, err)
			}
			if uintptr(s.Size) != goType.Size() || len(s.Members) != goType.NumField() {
				t.Fatalf("%s: struct %s is %d bytes in %d fields in BTF, %d in %d in Go",
					layout, name, s.Size, len(s.Members), goType.Size(), goType.NumField())
			}
			for i, m := range s.Members {
				if off := goType.Field(i).Offset; uintptr(m.Offset.Bytes()) != off {
					t.Errorf("%s: %s.%s at byte %d, Go field %s at %d", layout, name,
						m.Name, m.Offset.Bytes(), goType.Field(i).Name, off)
				}
			}
		}
		if err := spec.Types.TypeByName("frag_key", &fk); err != nil || fk.Size != 40 {
			t.Errorf("%s: struct frag_key: %v, %+v, want 40 bytes like fragKeyBytes", layout,
				err, fk)
		}
		if n := spec.Maps["counters"].MaxEntries; n != uint32(NumCounters) {
			t.Errorf("%s: %d counters in the object, %d in Go", layout, n, NumCounters)
		}
	}
}
