package io.plumbline.common.kafka;

/**
 * A Kafka record that can never be processed (it does not decode, or lacks what processing needs). Consumers fail
 * with it at once; SmallRye's {@code failure-strategy=dead-letter-queue} then sends the record to the topic's
 * dead-letter twin with this message in the {@code dead-letter-reason} header, and the consumer goes on. Any other
 * failure is taken as transient and retried by {@link ConsumerTransactions}.
 */
public class UnprocessableRecord extends RuntimeException {

    public UnprocessableRecord(String message) {
        super(message);
    }

    public UnprocessableRecord(String message, Throwable cause) {
        super(message, cause);
    }

    /** Decodes a protobuf record value, or fails naming the expected type. */
    public static <T> T decode(byte[] value, com.google.protobuf.Parser<T> parser, String typeName) {
        if (value == null || value.length == 0) {
            throw new UnprocessableRecord("empty record: expected a " + typeName);
        }
        try {
            return parser.parseFrom(value);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new UnprocessableRecord("not a " + typeName + ": " + e.getMessage(), e);
        }
    }
}
