package io.plumbline.judge.normalize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import com.google.protobuf.CodedOutputStream;

import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.ToolCall;

/**
 * SHA-256 (hex) of a snapshot's normalized content: the snapshot without its identity (record reference, span and
 * trace ids of messages and tool calls), times, counts and size, serialized deterministically (maps sorted). Equal
 * content, equal hash, wherever and whenever it was traced.
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

    private ContentHash() {
    }

    public static String of(RecordSnapshot.Builder snapshot) {
        RecordSnapshot.Builder content = snapshot.clone().clearRecord().clearStartTime().clearEndTime().clearSpanCount()
                .clearTraceCount().clearContentHash().clearOriginalSizeBytes();
        for (ChatMessage.Builder message : content.getMessagesBuilderList()) {
            message.clearSpanId().clearTraceId();
            message.getToolCallsBuilderList().forEach(ContentHash::clearIdentity);
        }
        content.getToolCallsBuilderList().forEach(ContentHash::clearIdentity);
        // into an array of the exact size, hashed by a copy of one digest: a fifth cheaper than through a stream with a
        // digest looked up each time (every span is hashed on intake)
        RecordSnapshot message = content.buildPartial();
        byte[] bytes = new byte[message.getSerializedSize()];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.useDeterministicSerialization();
        try {
            message.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.checkNoSpaceLeft();
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void clearIdentity(ToolCall.Builder call) {
        call.clearSpanId().clearStartTime().clearDuration();
    }
}
