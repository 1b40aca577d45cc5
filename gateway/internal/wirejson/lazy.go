package wirejson

import (
	"crypto/rand"
	"fmt"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// A message received through LazyCodec is not decoded: its wire bytes are
// kept as its unknown fields, behind a marker field no contract uses
// (the largest field number) holding a random per-process value, so
// neither a backend nor a client can forge it. The message's known fields
// stay unset until Decode. proto.Marshal of such a message gives its wire
// bytes back (plus the marker, which every reader skips as unknown).
var marker = func() []byte {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		panic(fmt.Sprintf("wirejson: no randomness for the lazy marker: %v", err))
	}
	b := protowire.AppendTag(nil, protowire.MaxValidNumber, protowire.BytesType)
	return protowire.AppendBytes(b, nonce[:])
}()

// LazyCodec is grpc's protobuf codec, except that it does not decode the
// answers whose JSON this package writes: it keeps their wire bytes in the
// message for Stashed. It keeps grpc's codec name, so the calls' content
// type does not change.
//
// Only for calls whose answers nobody reads but the JSON marshaler: the
// message looks empty until Decode.
func LazyCodec() encoding.CodecV2 { return lazyCodec{base: encoding.GetCodecV2(grpcproto.Name)} }

type lazyCodec struct{ base encoding.CodecV2 }

func (c lazyCodec) Name() string { return c.base.Name() }

func (c lazyCodec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c lazyCodec) Unmarshal(data mem.BufferSlice, v any) error {
	message, ok := v.(proto.Message)
	if !ok || !Supported(message.ProtoReflect().Descriptor()) {
		return c.base.Unmarshal(data, v)
	}
	// data is released after the call: copy it behind the marker.
	stash := make([]byte, len(marker)+data.Len())
	copy(stash, marker)
	data.CopyTo(stash[len(marker):])
	message.ProtoReflect().SetUnknown(stash)
	return nil
}

// Stashed returns the wire bytes LazyCodec kept in m, if it did.
func Stashed(m proto.Message) ([]byte, bool) {
	unknown := m.ProtoReflect().GetUnknown()
	if len(unknown) < len(marker) || string(unknown[:len(marker)]) != string(marker) {
		return nil, false
	}
	return unknown[len(marker):], true
}

// Decode turns a message LazyCodec left undecoded into the decoded one; a
// message it did decode is left alone.
func Decode(m proto.Message) error {
	raw, ok := Stashed(m)
	if !ok {
		return nil
	}
	m.ProtoReflect().SetUnknown(nil)
	return proto.UnmarshalOptions{Merge: true}.Unmarshal(raw, m)
}
