// Package prefetch asks the processor to load memory into its caches ahead of use,
// without waiting for it. Go has no prefetch intrinsic; an ordinary load that is not
// needed yet would still hold up the instructions behind it until it completed,
// while a prefetch lets them go on, so the miss overlaps with useful work.
package prefetch
