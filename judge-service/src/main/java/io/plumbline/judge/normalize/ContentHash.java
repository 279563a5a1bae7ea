package io.plumbline.judge.normalize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
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

    /** The content hash field as appended to a serialized snapshot: the hash is 64 hex digits. */
    private static final int HASH_FIELD_SIZE =
            CodedOutputStream.computeStringSize(RecordSnapshot.CONTENT_HASH_FIELD_NUMBER, "0".repeat(64));

    /** Fields left out of a message's bytes, and the message fields whose own fields are left out in turn. */
    private record Identity(Set<Integer> fields, Map<Integer, Identity> nested) {
    }

    private ContentHash() {
    }

    /** A snapshot with its content hash set, and its bytes as stored. */
    public record HashedSnapshot(RecordSnapshot snapshot, byte[] bytes) {
    }

    public static String of(RecordSnapshot.Builder snapshot) {
        RecordSnapshot built = snapshot.buildPartial();
        byte[] bytes = new byte[built.getSerializedSize()];
        serialize(built, bytes);
        return ofSerialized(bytes, bytes.length);
    }

    /**
     * Sets the snapshot's content hash and builds it, serialized once for the hash and for storage as soon as it is
     * built, while it is in the CPU's caches (serialized later, with the other snapshots of a poll, it cost twice as
     * much). The bytes are written into an array with room for the hash field, which is appended to them: they parse as
     * the snapshot with its hash, and nothing is copied.
     */
    public static HashedSnapshot hashAndSerialize(RecordSnapshot.Builder snapshot) {
        RecordSnapshot built = snapshot.clearContentHash().build();
        int size = built.getSerializedSize();
        byte[] bytes = new byte[size + HASH_FIELD_SIZE];
        serialize(built, bytes);
        String contentHash = ofSerialized(bytes, size);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes, size, HASH_FIELD_SIZE);
        try {
            out.writeString(RecordSnapshot.CONTENT_HASH_FIELD_NUMBER, contentHash);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.checkNoSpaceLeft();
        return new HashedSnapshot(snapshot.setContentHash(contentHash).build(), bytes);
    }

    /** The snapshot serialized deterministically (maps sorted by key), as {@link #ofSerialized} hashes it. */
    private static void serialize(RecordSnapshot snapshot, byte[] into) {
        CodedOutputStream out = CodedOutputStream.newInstance(into, 0, snapshot.getSerializedSize());
        out.useDeterministicSerialization();
        try {
            snapshot.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.checkNoSpaceLeft();
    }

    /** The content hash of a snapshot serialized by {@link #serialize} into the first {@code length} bytes. */
    private static String ofSerialized(byte[] serialized, int length) {
        MessageDigest digest = sha256();
        try {
            digestWithoutIdentity(digest, serialized, 0, length, SNAPSHOT, new byte[10]);
        } catch (IOException e) {
            throw new UncheckedIOException("a snapshot serialized here could not be read back", e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Hashes a message's bytes without the identity's fields, in their order: the fields kept are hashed where they lie,
     * a nested message with an identity of its own as its tag, its new length and its bytes without that identity.
     */
    private static void digestWithoutIdentity(MessageDigest digest, byte[] bytes, int offset, int length,
            Identity identity, byte[] scratch) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
        int kept = 0; // the start of the run of kept fields not hashed yet
        for (int start = 0, tag = in.readTag(); tag != 0; start = in.getTotalBytesRead(), tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            Identity nested = identity.nested().get(field);
            if (identity.fields().contains(field)) {
                digest.update(bytes, offset + kept, start - kept);
                in.skipField(tag);
                kept = in.getTotalBytesRead();
            } else if (nested != null && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                digest.update(bytes, offset + kept, start - kept);
                int nestedLength = in.readRawVarint32();
                int nestedOffset = offset + in.getTotalBytesRead();
                in.skipRawBytes(nestedLength);
                CodedOutputStream out = CodedOutputStream.newInstance(scratch); // two varints of at most five bytes
                out.writeUInt32NoTag(tag);
                out.writeUInt32NoTag(sizeWithoutIdentity(bytes, nestedOffset, nestedLength, nested));
                digest.update(scratch, 0, out.getTotalBytesWritten());
                digestWithoutIdentity(digest, bytes, nestedOffset, nestedLength, nested, scratch);
                kept = in.getTotalBytesRead();
            } else {
                in.skipField(tag);
            }
        }
        digest.update(bytes, offset + kept, length - kept);
    }

    /** The length of a message's bytes without the identity's fields (see {@link #digestWithoutIdentity}). */
    private static int sizeWithoutIdentity(byte[] bytes, int offset, int length, Identity identity) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
        int size = 0;
        for (int start = 0, tag = in.readTag(); tag != 0; start = in.getTotalBytesRead(), tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            Identity nested = identity.nested().get(field);
            if (identity.fields().contains(field)) {
                in.skipField(tag);
            } else if (nested != null && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int nestedLength = in.readRawVarint32();
                int nestedOffset = offset + in.getTotalBytesRead();
                in.skipRawBytes(nestedLength);
                int nestedSize = sizeWithoutIdentity(bytes, nestedOffset, nestedLength, nested);
                size += CodedOutputStream.computeUInt32SizeNoTag(tag)
                        + CodedOutputStream.computeUInt32SizeNoTag(nestedSize) + nestedSize;
            } else {
                in.skipField(tag);
                size += in.getTotalBytesRead() - start;
            }
        }
        return size;
    }

    private static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
