package io.plumbline.alignment.join;

/** A Kafka record that cannot be joined: it goes to the topic's dead-letter twin with this message as the reason. */
public class UnprocessableRecord extends RuntimeException {

    public UnprocessableRecord(String message) {
        super(message);
    }

    public UnprocessableRecord(String message, Throwable cause) {
        super(message, cause);
    }
}
