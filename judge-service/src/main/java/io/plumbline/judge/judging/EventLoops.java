package io.plumbline.judge.judging;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Vert.x context on each event loop, handed out in turn. Work started from one place (the claim of a batch of
 * records) would otherwise run on the event loop that claimed it, however many there are.
 */
final class EventLoops {

    private final List<Context> contexts = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    EventLoops(Vertx vertx) {
        int loops = 0;
        for (var ignored : vertx.nettyEventLoopGroup()) {
            loops++;
        }
        // createEventLoopContext takes the event loops round robin: as many calls as loops give one context on each
        for (int i = 0; i < Math.max(1, loops); i++) {
            contexts.add(((VertxInternal) vertx).createEventLoopContext());
        }
    }

    Context next() {
        return contexts.get(Math.floorMod(next.getAndIncrement(), contexts.size()));
    }
}
