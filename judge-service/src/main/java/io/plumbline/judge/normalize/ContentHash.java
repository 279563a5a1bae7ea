package io.plumbline.judge.normalize;

import java.io.ByteArrayOutputStream;
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
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization();
            content.build().writeTo(out);
            out.flush();
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void clearIdentity(ToolCall.Builder call) {
        call.clearSpanId().clearStartTime().clearDuration();
    }
}
