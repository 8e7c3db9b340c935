# Common tasks. Everything here is plain `go`; the tools (golangci-lint,
# stripe-mock) come from the tools module, tools/go.mod.

GO    ?= go
TOOL  := $(GO) tool -modfile=tools/go.mod
BIN   ?= paydesk
DB    ?= /tmp/paydesk-demo.db
OUT   ?= dist

.PHONY: all build test test-short lint vet fmt bench bench-full run demo completion man ci clean

all: vet lint test

build:            ## the paydesk binary
	$(GO) build -o $(BIN) ./cmd/paydesk

test:             ## the README's test command (what .ci/run runs)
	$(GO) test -race ./...

test-short:       ## quick: no stripe-mock, no serve, no tmux
	$(GO) test -short ./...

vet:
	$(GO) vet ./...

lint:             ## golangci-lint with .golangci.yml
	$(TOOL) golangci-lint run ./...

fmt:
	gofmt -l -w .

bench:            ## the speed targets (README, Performance)
	$(GO) test -run "^$$" -bench . -benchmem ./finance/ ./store/ ./payments/ ./tui/

bench-full:       ## the paydesk-bench run behind the README's Performance table (minutes)
	$(GO) run ./cmd/paydesk-bench

run:              ## the desk on the default database
	$(GO) run ./cmd/paydesk

demo:             ## the desk on a fresh demo database ($(DB))
	rm -f $(DB)
	$(GO) run ./cmd/paydesk --db $(DB) demo
	$(GO) run ./cmd/paydesk --db $(DB)

completion: build ## bash, zsh and fish completion scripts into $(OUT)/
	mkdir -p $(OUT)
	./$(BIN) completion bash > $(OUT)/paydesk.bash
	./$(BIN) completion zsh  > $(OUT)/_paydesk
	./$(BIN) completion fish > $(OUT)/paydesk.fish

man: build        ## man pages (one per command) into $(OUT)/man1
	./$(BIN) man --dir $(OUT)/man1

ci:               ## what CI runs
	bash .ci/run

clean:
	rm -rf $(BIN) $(OUT)
