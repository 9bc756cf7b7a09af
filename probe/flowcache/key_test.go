package flowcache

import (
	"math/rand/v2"
	"testing"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// TestKeyWords checks the word-wise key compares against struct comparison on keys
// that differ from a base key in one field at a time, including keys that only
// differ by having their ports or addresses swapped.
func TestKeyWords(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	base := randomPacket(rng, t0).Key
	base.SrcPort, base.DstPort = 1000, 2000
	variants := []struct {
		name   string
		change func(k *flow.Key)
	}{
		{"same", func(k *flow.Key) {}},
		{"reversed", func(k *flow.Key) { *k = k.Reverse() }},
		{"ports swapped", func(k *flow.Key) { k.SrcPort, k.DstPort = k.DstPort, k.SrcPort }},
		{"addresses swapped", func(k *flow.Key) { k.SrcAddr, k.DstAddr = k.DstAddr, k.SrcAddr }},
		{"source address", func(k *flow.Key) { k.SrcAddr[3]++ }},
		{"destination address", func(k *flow.Key) { k.DstAddr[15]++ }},
		{"source port", func(k *flow.Key) { k.SrcPort++ }},
		{"destination port", func(k *flow.Key) { k.DstPort++ }},
		{"vlan", func(k *flow.Key) { k.VLAN++ }},
		{"protocol", func(k *flow.Key) { k.Protocol++ }},
		{"ip version", func(k *flow.Key) { k.IPVersion = 6 }},
		{"reversed, other vlan", func(k *flow.Key) { *k = k.Reverse(); k.VLAN++ }},
		{"reversed, other protocol", func(k *flow.Key) { *k = k.Reverse(); k.Protocol++ }},
		{"tunnel id", func(k *flow.Key) { k.TunnelID++ }},
		{"tunnel type", func(k *flow.Key) { k.TunnelType = flow.TunnelGRE }},
		{"reversed, other tunnel id", func(k *flow.Key) { *k = k.Reverse(); k.TunnelID ^= 1 << 23 }},
		{"reversed, other tunnel type", func(k *flow.Key) { *k = k.Reverse(); k.TunnelType++ }},
	}
	for _, v := range variants {
		k := base
		v.change(&k)
		if got, want := wordsOf(&base).equal(wordsOf(&k)), base == k; got != want {
			t.Errorf("%s: equal says %v, struct compare %v", v.name, got, want)
		}
		rev := base.Reverse()
		if got, want := wordsOf(&base).equalReverse(wordsOf(&k)), rev == k; got != want {
			t.Errorf("%s: equalReverse says %v, struct compare %v", v.name, got, want)
		}
	}
}
