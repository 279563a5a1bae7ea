package io.plumbline.common.api;

/** Turns the database's refusals that a caller can act on into API errors. */
public final class DatabaseErrors {

    private static final String UNIQUE_VIOLATION = "23505";

    private DatabaseErrors() {
    }

    /**
     * A unique-constraint violation (a concurrent request took the same name first) becomes ALREADY_EXISTS; anything
     * else is returned unchanged.
     */
    public static Throwable translate(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ApiException) {
                return t;
            }
            if (t instanceof io.vertx.pgclient.PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())) {
                return ApiException.alreadyExists("already exists: " + pg.getDetail());
            }
        }
        return failure;
    }
}
