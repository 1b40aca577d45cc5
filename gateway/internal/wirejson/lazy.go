package wirejson

import (
	"context"
	"crypto/rand"
	"fmt"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// A message received through LazyCodec is not decoded: its wire bytes are
// kept as its unknown fields, behind a marker field no contract uses (the
// largest field number) holding a random per-process value, so neither a
// backend nor a client can forge it, and a last byte saying whether the
// answer may be cached. The message's known fields stay unset until Decode.
// proto.Marshal of such a message gives its wire bytes back (plus the
// marker, which every reader skips as an unknown field).
var markerPrefix = func() []byte {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		panic(fmt.Sprintf("wirejson: no randomness for the lazy marker: %v", err))
	}
	b := protowire.AppendTag(nil, protowire.MaxValidNumber, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(len(nonce)+1))
	return append(b, nonce[:]...)
}()

const markerLength = 1 // the cacheable byte after markerPrefix

// LazyCodec is grpc's protobuf codec, except that it does not decode the
// answers whose JSON this package writes: it keeps their wire bytes in the
// message for Stashed. cacheable is what Stashed reports for them. It keeps
// grpc's codec name, so the calls' content type does not change.
//
// Only for calls whose answers nobody reads but the JSON marshaler: the
// message looks empty until Decode.
func LazyCodec(cacheable bool) encoding.CodecV2 {
	return lazyCodec{base: encoding.GetCodecV2(grpcproto.Name), cacheable: cacheable}
}

type lazyCodec struct {
	base      encoding.CodecV2
	cacheable bool
}

func (c lazyCodec) Name() string { return c.base.Name() }

func (c lazyCodec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c lazyCodec) Unmarshal(data mem.BufferSlice, v any) error {
	message, ok := v.(proto.Message)
	if !ok || !Supported(message.ProtoReflect().Descriptor()) {
		return c.base.Unmarshal(data, v)
	}
	// data is released after the call: copy it behind the marker.
	header := len(markerPrefix) + markerLength
	stash := make([]byte, header+data.Len())
	copy(stash, markerPrefix)
	if c.cacheable {
		stash[len(markerPrefix)] = 1
	}
	data.CopyTo(stash[header:])
	message.ProtoReflect().SetUnknown(stash)
	return nil
}

// Stashed returns the wire bytes LazyCodec kept in m, if it did, and
// whether the codec was told they may be cached.
func Stashed(m proto.Message) (wire []byte, cacheable, ok bool) {
	unknown := m.ProtoReflect().GetUnknown()
	header := len(markerPrefix) + markerLength
	if len(unknown) < header || string(unknown[:len(markerPrefix)]) != string(markerPrefix) {
		return nil, false, false
	}
	return unknown[header:], unknown[len(markerPrefix)] == 1, true
}

// Decode turns a message LazyCodec left undecoded into the decoded one; a
// message it did decode is left alone.
func Decode(m proto.Message) error {
	wire, _, ok := Stashed(m)
	if !ok {
		return nil
	}
	m.ProtoReflect().SetUnknown(nil)
	return proto.UnmarshalOptions{Merge: true}.Unmarshal(wire, m)
}

type cacheableKey struct{}

// WithCacheable marks ctx as that of a request whose answer may be cached:
// one that carries no caller's credentials and changes nothing, so its
// answer is the same for everyone who asks.
func WithCacheable(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheableKey{}, true)
}

// Cacheable reports whether WithCacheable marked ctx.
func Cacheable(ctx context.Context) bool {
	marked, _ := ctx.Value(cacheableKey{}).(bool)
	return marked
}
