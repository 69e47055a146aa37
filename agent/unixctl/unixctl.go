// Package unixctl serves OVS's unixctl protocol (JSON-RPC 1.0 over a unix
// socket) so that `ovn-appctl -t <socket> <command>` drives chassisd the
// way it drives ovn-controller.
package unixctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
)

// Handler runs one command; the returned string is the command's output.
type Handler func(args []string) (string, error)

// Server is a unixctl server on one socket.
type Server struct {
	path string
	log  *slog.Logger

	mu       sync.Mutex
	commands map[string]Handler
}

// New returns a server that will listen on path.
func New(path string, log *slog.Logger) *Server {
	s := &Server{path: path, log: log.With("module", "unixctl"), commands: map[string]Handler{}}
	s.Register("list-commands", func([]string) (string, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		names := make([]string, 0, len(s.commands))
		for n := range s.commands {
			names = append(names, "  "+n)
		}
		sort.Strings(names)
		return "The available commands are:\n" + strings.Join(names, "\n") + "\n", nil
	})
	return s
}

// Register adds a command.
func (s *Server) Register(name string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[name] = h
}

// Path is the socket path.
func (s *Server) Path() string { return s.path }

// Serve listens until ctx is cancelled, then removes the socket.
func (s *Server) Serve(ctx context.Context) error {
	_ = os.Remove(s.path)
	l, err := net.Listen("unix", s.path)
	if err != nil {
		return fmt.Errorf("unixctl listen on %s: %w", s.path, err)
	}
	var wg sync.WaitGroup
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	defer func() {
		wg.Wait()
		_ = os.Remove(s.path)
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("unixctl accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, c)
		}()
	}
}

type request struct {
	Method string          `json:"method"`
	Params []string        `json:"params"`
	ID     json.RawMessage `json:"id"`
}

type response struct {
	Result any             `json:"result"`
	Error  any             `json:"error"`
	ID     json.RawMessage `json:"id"`
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	dec := json.NewDecoder(c)
	enc := json.NewEncoder(c)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			return
		}
		s.mu.Lock()
		h, ok := s.commands[req.Method]
		s.mu.Unlock()
		resp := response{ID: req.ID}
		if !ok {
			resp.Error = fmt.Sprintf("%q is not a valid command (use list-commands to see a list of valid commands)", req.Method)
		} else if out, err := h(req.Params); err != nil {
			resp.Error = err.Error()
		} else {
			resp.Result = out
		}
		if err := enc.Encode(resp); err != nil {
			return
		}
	}
}
