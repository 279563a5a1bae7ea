package io.plumbline.common.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyReader;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

/**
 * REST bodies are the gRPC messages in the proto3 JSON mapping (lowerCamelCase field names, enums by name), so the
 * two APIs share one schema and one code path. Unknown fields are refused rather than silently dropped.
 */
@Provider
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class ProtoJsonProvider implements MessageBodyReader<Message>, MessageBodyWriter<Message> {

    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    @Override
    public boolean isReadable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return Message.class.isAssignableFrom(type);
    }

    @Override
    public Message readFrom(Class<Message> type, Type genericType, Annotation[] annotations, MediaType mediaType,
            MultivaluedMap<String, String> httpHeaders, InputStream entityStream) throws IOException {
        Message.Builder builder = newBuilder(type);
        String json = new String(entityStream.readAllBytes(), StandardCharsets.UTF_8);
        if (json.isBlank()) {
            return builder.build();
        }
        try {
            PARSER.merge(json, builder);
        } catch (InvalidProtocolBufferException e) {
            throw ApiException.invalid("body", "is not a valid " + builder.getDescriptorForType().getName()
                    + " in JSON: " + e.getMessage());
        }
        return builder.build();
    }

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return Message.class.isAssignableFrom(type);
    }

    @Override
    public void writeTo(Message message, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
            MultivaluedMap<String, Object> httpHeaders, OutputStream entityStream) throws IOException {
        entityStream.write(ProtoJson.print(message).getBytes(StandardCharsets.UTF_8));
    }


    private static Message.Builder newBuilder(Class<Message> type) {
        try {
            return (Message.Builder) type.getMethod("newBuilder").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("not a generated protobuf message: " + type, e);
        }
    }
}
