package wirejson

import (
	"bytes"
	"hash/maphash"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Cache remembers the JSON of answers by their wire bytes: a backend that
// answers the same bytes again (prices that did not move, closed candles)
// gets the JSON written the first time. An entry is only used for the same
// message type and byte-equal wire bytes, so it never answers one caller
// with another's data. The zero value is not usable; see NewCache.
type Cache struct {
	seed     maphash.Seed
	minBytes int
	maxBytes int

	mu      sync.RWMutex
	entries map[uint64]cacheEntry
	size    int
}

type cacheEntry struct {
	md   protoreflect.MessageDescriptor
	wire []byte
	json []byte
}

// NewCache returns a cache of answers of at least minBytes wire bytes,
// holding at most about maxBytes of wire bytes and JSON together: when it
// is full it starts again empty, which is cheap and fair to answers that
// stopped repeating.
func NewCache(minBytes, maxBytes int) *Cache {
	return &Cache{seed: maphash.MakeSeed(), minBytes: minBytes, maxBytes: maxBytes, entries: map[uint64]cacheEntry{}}
}

// JSON returns the JSON of the message of type md whose wire bytes are
// wire (AppendJSON), from the cache when it holds it. wire must not change
// afterwards (it may be kept), nor may the returned bytes be written to;
// they are capped, so appending copies them.
func (c *Cache) JSON(md protoreflect.MessageDescriptor, wire []byte) ([]byte, bool) {
	if len(wire) < c.minBytes {
		return Encode(md, wire)
	}
	key := maphash.Bytes(c.seed, wire)
	c.mu.RLock()
	entry, found := c.entries[key]
	c.mu.RUnlock()
	if found && entry.md == md && bytes.Equal(entry.wire, wire) {
		return entry.json, true
	}
	data, ok := Encode(md, wire)
	if !ok {
		return nil, false
	}
	data = data[:len(data):len(data)]
	c.mu.Lock()
	if c.size+len(wire)+len(data) > c.maxBytes {
		clear(c.entries)
		c.size = 0
	}
	if old, ok := c.entries[key]; ok {
		c.size -= len(old.wire) + len(old.json)
	}
	c.entries[key] = cacheEntry{md: md, wire: wire, json: data}
	c.size += len(wire) + len(data)
	c.mu.Unlock()
	return data, true
}

// Len is the number of answers held.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
