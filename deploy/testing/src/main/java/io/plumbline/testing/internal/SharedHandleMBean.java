package io.plumbline.testing.internal;

/**
 * Not API. The one operation through which the per-JVM broker and database handles are reached from any class loader
 * (registered in the platform MBean server, so it speaks JDK types only).
 */
public interface SharedHandleMBean {
    String call(String operation) throws Exception;
}
