package unixctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
)

// CommandError is the error text a unixctl server answered with (what
// ovs-appctl prints on stderr before exiting 2).
type CommandError struct{ Message string }

func (e *CommandError) Error() string { return e.Message }

// Call runs one command on the unixctl server listening on path (a
// chassisd, ovn-controller or ovs-vswitchd control socket) and returns its
// output. A command that fails on the server returns a *CommandError.
func Call(ctx context.Context, path, method string, args ...string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", path, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	if args == nil {
		args = []string{} // the protocol wants an array, never null
	}
	if err := json.NewEncoder(c).Encode(struct {
		Method string   `json:"method"`
		Params []string `json:"params"`
		ID     int      `json:"id"`
	}{method, args, 0}); err != nil {
		return "", fmt.Errorf("send %s to %s: %w", method, path, err)
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s on %s: %w", method, path, ctx.Err())
		}
		return "", fmt.Errorf("read reply to %s from %s: %w", method, path, err)
	}
	if len(resp.Error) > 0 && string(resp.Error) != "null" {
		// Servers end error text with a newline for ovs-appctl's stderr.
		return "", &CommandError{Message: strings.TrimSuffix(jsonText(resp.Error), "\n")}
	}
	if len(resp.Result) == 0 || string(resp.Result) == "null" {
		return "", errors.New("unixctl reply has neither result nor error")
	}
	return jsonText(resp.Result), nil
}

// jsonText returns a JSON string's value, or the raw JSON of anything else.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
