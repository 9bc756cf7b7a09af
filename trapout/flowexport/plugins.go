package flowexport

import (
	"fmt"
	"slices"
	"strings"
)

// pluginFields maps the name of an ipfixprobe process plugin whose fields the flow
// record holds to the UniRec fields the plugin adds to the basic template.
var pluginFields = map[string]string{
	"vlan": "uint16 VLAN_ID",           // the VLAN ID of the flow key
	"icmp": "uint16 L4_ICMP_TYPE_CODE", // type*256+code of ICMP and ICMPv6 flows, else 0
}

// Plugins lists the plugin names Options.Plugins accepts, sorted.
func Plugins() []string {
	names := make([]string, 0, len(pluginFields))
	for name := range pluginFields {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// CheckPlugins reports the first name that is not one of Plugins, or nil. "basic",
// the template every record has, is accepted too, as ipfixprobe users name it.
func CheckPlugins(names []string) error {
	for _, name := range names {
		if _, ok := pluginFields[name]; !ok && name != "basic" {
			return fmt.Errorf("unknown plugin %q: want basic or one of %s", name,
				strings.Join(Plugins(), ", "))
		}
	}
	return nil
}

// TemplateWith returns the template spec of the basic flow record extended with the
// fields of the named plugins, in the order given (a Template parsed from it is in
// canonical order).
func TemplateWith(plugins []string) (string, error) {
	if err := CheckPlugins(plugins); err != nil {
		return "", err
	}
	spec := Template
	for _, name := range plugins {
		if f, ok := pluginFields[name]; ok && !strings.Contains(spec, f) {
			spec += "," + f
		}
	}
	return spec, nil
}
