package io.plumbline.judge.normalize;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import io.plumbline.proto.judge.v1.ChatMessage;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.judge.v1.RetrievedDocument;
import io.plumbline.proto.judge.v1.ToolCall;

/**
 * Cuts every traced text field of a snapshot at a maximum length, ending the cut field with {@value #MARKER}, and
 * records the content's size before cutting.
 */
final class Truncation {

    /** Ends every cut field. */
    static final String MARKER = "[truncated]";

    private final int maxChars;
    private long originalBytes;
    private boolean truncated;

    private Truncation(int maxChars) {
        if (maxChars <= MARKER.length()) {
            throw new IllegalArgumentException("the maximum text length must exceed the marker's length");
        }
        this.maxChars = maxChars;
    }

    /**
     * Cuts the fields of {@code snapshot} in place; sets {@code truncated} and {@code original_size_bytes}. A text field
     * that is not cut is set as its UTF-8 bytes: protobuf encodes a {@code String} field character by character every
     * time the message is sized and serialized (stored, judged, emitted), {@link String#getBytes}
     * copies ASCII text at once. Readers see the same text.
     */
    static void apply(RecordSnapshot.Builder snapshot, int maxChars) {
        Truncation t = new Truncation(maxChars);
        t.field(snapshot.getInput(), snapshot::setInput, snapshot::setInputBytes);
        t.field(snapshot.getOutput(), snapshot::setOutput, snapshot::setOutputBytes);
        var context = snapshot.getContextBuilder();
        t.field(context.getSystemInstructions(), context::setSystemInstructions, context::setSystemInstructionsBytes);
        t.field(context.getText(), context::setText, context::setTextBytes);
        for (RetrievedDocument.Builder document : context.getDocumentsBuilderList()) {
            t.field(document.getContent(), document::setContent, document::setContentBytes);
            t.cutValues(document.getMetadataMap(), document::putMetadata);
        }
        for (ChatMessage.Builder message : snapshot.getMessagesBuilderList()) {
            t.field(message.getContent(), message::setContent, message::setContentBytes);
            for (ToolCall.Builder call : message.getToolCallsBuilderList()) {
                t.cutCall(call);
            }
        }
        for (ToolCall.Builder call : snapshot.getToolCallsBuilderList()) {
            t.cutCall(call);
        }
        t.cutValues(snapshot.getAttributesMap(), snapshot::putAttributes);
        t.cutValues(snapshot.getResourceAttributesMap(), snapshot::putResourceAttributes);
        snapshot.setTruncated(t.truncated);
        snapshot.setOriginalSizeBytes(t.originalBytes);
    }

    private void cutCall(ToolCall.Builder call) {
        field(call.getArguments(), call::setArguments, call::setArgumentsBytes);
        field(call.getResult(), call::setResult, call::setResultBytes);
    }

    /** Sets a text field cut, or whole as UTF-8 bytes. */
    private void field(String text, Consumer<String> setText, Consumer<ByteString> setUtf8) {
        if (text.isEmpty()) {
            return;
        }
        if (text.length() > maxChars) {
            setText.accept(cut(text));
            return;
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        originalBytes += utf8.length;
        setUtf8.accept(UnsafeByteOperations.unsafeWrap(utf8)); // the array is this field's alone
    }

    private void cutValues(Map<String, String> values, java.util.function.BiConsumer<String, String> put) {
        Map<String, String> cuts = new HashMap<>(); // put after the pass: the map must not change while it is read
        values.forEach((key, value) -> {
            String cut = cut(value);
            if (cut != value) {
                cuts.put(key, cut);
            }
        });
        cuts.forEach(put);
    }

    private String cut(String text) {
        originalBytes += utf8Length(text);
        if (text.length() <= maxChars) {
            return text;
        }
        truncated = true;
        int end = maxChars - MARKER.length();
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + MARKER;
    }

    private static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
