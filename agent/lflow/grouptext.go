package lflow

import (
	"errors"

	"github.com/chassisd/chassisd/openflow/ofctrl"
)

// parseGroupDescription turns the encoder's textual group description into
// an ofctrl.Group.
func parseGroupDescription(id uint32, desc string) (ofctrl.Group, error) {
	return ofctrl.Group{}, errors.New("group descriptions are not converted yet")
}
