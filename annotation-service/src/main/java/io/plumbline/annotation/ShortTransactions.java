package io.plumbline.annotation;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import java.util.function.Function;

/**
 * Transactions of the hot calls (NextItem, SubmitFeedback) in as few round trips as their statements: BEGIN goes out
 * with the first statement and COMMIT with the last (the client pipelines them on the connection), where
 * {@code Pool.withTransaction} waits for each. On a busy machine every round trip is a wake-up of the event loop and of
 * the server process, and those waits, not the statements, made most of a call's time.
 *
 * <p>Use {@link #run} around the work, {@link #begin} for its first statement and {@link #commit} for its last; work
 * that ends otherwise calls {@link #rollback}. A failure anywhere rolls the transaction back before the connection
 * returns to the pool (after a failed COMMIT, or a statement that failed with it, there is none left to roll back: the
 * server answers with a warning).
 */
public final class ShortTransactions {

    private ShortTransactions() {
    }

    public static <T> Uni<T> run(Pool pool, Function<SqlConnection, Uni<T>> work) {
        return pool.withConnection(connection -> Uni.createFrom().deferred(() -> work.apply(connection))
                .onFailure().call(() -> rollback(connection).onFailure().recoverWithNull()));
    }

    /** BEGIN and the transaction's first statement, in one round trip; its rows. */
    public static Uni<RowSet<Row>> begin(SqlConnection connection, String sql, Tuple parameters) {
        return Uni.combine().all().unis(connection.query("BEGIN").execute(),
                connection.preparedQuery(sql).execute(parameters)).asTuple().map(both -> both.getItem2());
    }

    /** The transaction's last statement and COMMIT, in one round trip. */
    public static Uni<Void> commit(SqlConnection connection, String sql, Tuple parameters) {
        return Uni.combine().all().unis(connection.preparedQuery(sql).execute(parameters),
                connection.query("COMMIT").execute()).asTuple().replaceWithVoid();
    }

    public static Uni<Void> rollback(SqlConnection connection) {
        return connection.query("ROLLBACK").execute().replaceWithVoid();
    }
}
