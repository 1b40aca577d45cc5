package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/cryptotracker/cryptotracker/gateway/gen/services"
	"github.com/cryptotracker/cryptotracker/gateway/internal/backend"
	"github.com/cryptotracker/cryptotracker/gateway/internal/config"
)

// TestEveryServiceStartsWithItsDefaultConfiguration guards the join of the
// two tables: whatever a service's declared options need (the cookie path for
// user) must come with the configuration's defaults.
func TestEveryServiceStartsWithItsDefaultConfiguration(t *testing.T) {
	conn, err := backend.Dial("127.0.0.1:1") // never called: New only registers routes
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	for _, definition := range services.All {
		getenv := func(name string) string {
			if name == "SERVICE" {
				return definition.Name
			}
			return ""
		}
		cfg, err := config.Load(nil, getenv, io.Discard)
		if err != nil {
			t.Errorf("%s: config: %v", definition.Name, err)
			continue
		}
		if _, err := newHandler(context.Background(), cfg, conn, logger); err != nil {
			t.Errorf("%s: %v", definition.Name, err)
		}
	}
}

func TestUnknownServiceIsRefused(t *testing.T) {
	cfg := config.Config{Service: "billing", MaxBodyBytes: 1}
	if _, err := newHandler(context.Background(), cfg, nil, slog.Default()); err == nil {
		t.Error("a service missing from the table was accepted")
	}
}
