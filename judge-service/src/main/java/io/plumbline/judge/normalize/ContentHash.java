package io.plumbline.judge.normalize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;

import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.ToolCall;

/**
 * SHA-256 (hex) of a snapshot's normalized content: the snapshot without its identity (record reference, span and
 * trace ids of messages and tool calls), times, counts and size, serialized deterministically (maps sorted). Equal
 * content, equal hash, wherever and whenever it was traced.
 *
 * <p>The hash is taken from the snapshot's own deterministic serialization, its identity fields left out as the bytes
 * are read (fields keep their order, so the bytes hashed are those of the snapshot with its identity cleared). A span's
 * snapshot is thus serialized once for its hash and for storage ({@link #hashAndSerialize}), never copied to be cleared.
 */
public final class ContentHash {

    private static final MessageDigest SHA_256;

    static {
        try {
            SHA_256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The identity of a tool call. */
    private static final Identity TOOL_CALL = new Identity(Set.of(ToolCall.SPAN_ID_FIELD_NUMBER,
            ToolCall.START_TIME_FIELD_NUMBER, ToolCall.DURATION_FIELD_NUMBER), Map.of());
    /** The identity of a message and of the tool calls it requested. */
    private static final Identity MESSAGE = new Identity(Set.of(ChatMessage.SPAN_ID_FIELD_NUMBER,
            ChatMessage.TRACE_ID_FIELD_NUMBER), Map.of(ChatMessage.TOOL_CALLS_FIELD_NUMBER, TOOL_CALL));
    /** The identity of a snapshot, its messages and its tool calls. */
    private static final Identity SNAPSHOT = new Identity(Set.of(RecordSnapshot.RECORD_FIELD_NUMBER,
            RecordSnapshot.START_TIME_FIELD_NUMBER, RecordSnapshot.END_TIME_FIELD_NUMBER,
            RecordSnapshot.SPAN_COUNT_FIELD_NUMBER, RecordSnapshot.TRACE_COUNT_FIELD_NUMBER,
            RecordSnapshot.CONTENT_HASH_FIELD_NUMBER, RecordSnapshot.ORIGINAL_SIZE_BYTES_FIELD_NUMBER),
            Map.of(RecordSnapshot.MESSAGES_FIELD_NUMBER, MESSAGE, RecordSnapshot.TOOL_CALLS_FIELD_NUMBER, TOOL_CALL));

    /** Fields left out of a message's bytes, and the message fields whose own fields are left out in turn. */
    private record Identity(Set<Integer> fields, Map<Integer, Identity> nested) {
    }

    private ContentHash() {
    }

    /** A snapshot with its content hash set, and its bytes as stored. */
    public record HashedSnapshot(RecordSnapshot snapshot, byte[] bytes) {
    }

    public static String of(RecordSnapshot.Builder snapshot) {
        return ofSerialized(serialized(snapshot.buildPartial()));
    }

    /**
     * Sets the snapshot's content hash and builds it, serialized once for the hash and for storage as soon as it is
     * built, while it is in the CPU's caches (serialized later, with the other snapshots of a poll, it cost twice as
     * much).
     */
    public static HashedSnapshot hashAndSerialize(RecordSnapshot.Builder snapshot) {
        byte[] serialized = serialized(snapshot.build());
        String contentHash = ofSerialized(serialized);
        return new HashedSnapshot(snapshot.setContentHash(contentHash).build(), withHash(serialized, contentHash));
    }

    /** The snapshot serialized deterministically (maps sorted by key), as {@link #ofSerialized} hashes it. */
    private static byte[] serialized(RecordSnapshot snapshot) {
        byte[] bytes = new byte[snapshot.getSerializedSize()];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.useDeterministicSerialization();
        try {
            snapshot.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.checkNoSpaceLeft();
        return bytes;
    }

    /** The content hash of a snapshot serialized by {@link #serialized}. */
    private static String ofSerialized(byte[] serialized) {
        MessageDigest digest = sha256();
        digest.update(withoutIdentity(UnsafeByteOperations.unsafeWrap(serialized), SNAPSHOT).asReadOnlyByteBuffer());
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * The serialized snapshot with its content hash set: the field appended to the bytes ({@link #serialized}), which
     * parse as the snapshot with the hash.
     */
    private static byte[] withHash(byte[] serialized, String contentHash) {
        int field = CodedOutputStream.computeStringSize(RecordSnapshot.CONTENT_HASH_FIELD_NUMBER, contentHash);
        byte[] bytes = Arrays.copyOf(serialized, serialized.length + field);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes, serialized.length, field);
        try {
            out.writeString(RecordSnapshot.CONTENT_HASH_FIELD_NUMBER, contentHash);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.checkNoSpaceLeft();
        return bytes;
    }

    /** A message's bytes without the identity's fields, in their order; nested messages likewise. */
    private static ByteString withoutIdentity(ByteString message, Identity identity) {
        try {
            CodedInputStream in = message.newCodedInput();
            in.enableAliasing(true); // nested messages are read as views of these bytes, not copies
            byte[] bytes = new byte[message.size()]; // leaving fields out never makes a message longer
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int field = WireFormat.getTagFieldNumber(tag);
                Identity nested = identity.nested().get(field);
                if (identity.fields().contains(field)) {
                    in.skipField(tag);
                } else if (nested != null && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    out.writeBytes(field, withoutIdentity(in.readBytes(), nested));
                } else {
                    in.skipField(tag, out); // copied as it is
                }
            }
            return UnsafeByteOperations.unsafeWrap(bytes, 0, out.getTotalBytesWritten());
        } catch (IOException e) {
            throw new UncheckedIOException("a snapshot serialized here could not be read back", e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
