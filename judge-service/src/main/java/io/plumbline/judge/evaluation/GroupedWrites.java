package io.plumbline.judge.evaluation;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Many small writes made one: each {@link #submit} waits for a write of the group it fell into (at most
 * {@code maxGroup} items, or what arrived within {@code maxDelay}), so concurrent judgments share one transaction
 * instead of a round trip each. Up to {@code concurrency} groups are written at once. A group whose write keeps
 * failing fails each of its items (their callers retry them); the stream goes on.
 *
 * @param <T> what is written
 * @param <R> what each item's caller gets back
 */
public final class GroupedWrites<T, R> {

    private static final Logger LOG = Logger.getLogger(GroupedWrites.class);
    private static final int MAX_WAITING_GROUPS = 10_000;

    private record Item<T, R>(T value, CompletableFuture<R> result) {
    }

    private volatile MultiEmitter<? super Item<T, R>> emitter;

    /** {@code write} gets a group and returns each item's result, in the group's order. */
    public GroupedWrites(String name, int maxGroup, Duration maxDelay, int concurrency,
            Function<List<T>, Uni<List<R>>> write) {
        Multi.createFrom().<Item<T, R>>emitter(e -> emitter = e)
                .group().intoLists().of(maxGroup, maxDelay)
                // groups close on a timer, whether or not a writer is free: they wait their turn here
                .onOverflow().buffer(MAX_WAITING_GROUPS)
                .onItem().transformToUni(group -> {
                    List<T> values = group.stream().map(Item::value).toList();
                    return Uni.createFrom().deferred(() -> write.apply(values))
                            .onFailure().retry().withBackOff(Duration.ofMillis(100), Duration.ofSeconds(2)).atMost(5)
                            .invoke(results -> {
                                for (int i = 0; i < group.size(); i++) {
                                    group.get(i).result().complete(results.get(i));
                                }
                            })
                            .onFailure().invoke(failure -> {
                                LOG.warnf("Writing %d %s failed: %s", group.size(), name, failure.toString());
                                group.forEach(item -> item.result().completeExceptionally(failure));
                            })
                            .onFailure().recoverWithNull().replaceWithVoid();
                }).merge(concurrency)
                .subscribe().with(ignored -> { }, failure -> LOG.errorf(failure, "The %s writer stopped", name));
    }

    /** Adds {@code value} to the next group; completes with its result once the group is written. */
    public Uni<R> submit(T value) {
        CompletableFuture<R> result = new CompletableFuture<>();
        emitter.emit(new Item<>(value, result));
        return Uni.createFrom().completionStage(result);
    }
}
