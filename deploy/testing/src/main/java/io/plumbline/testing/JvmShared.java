package io.plumbline.testing;

import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.util.function.Function;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;

import io.plumbline.testing.internal.SharedHandleMBean;

/**
 * One instance per JVM, even when the class that asks for it is loaded more than once.
 *
 * <p>Quarkus tests load test code and test resources in their own class loaders (and close them when an application
 * stops), so a plain {@code static} field would start a second broker or a second embedded PostgreSQL in the same JVM,
 * or leave one running on a closed class loader. Two rules avoid both:
 * <ul>
 *   <li>the owner is created in the system class loader when that loader can see this library (it is never closed);
 *   <li>the owner registers a handle in the platform MBean server, which every class loader shares; the handle speaks
 *       JDK types only ({@code String -> String}), so callers from any class loader talk to the owner through it.
 * </ul>
 */
final class JvmShared {

    /** Calls an operation on a handle registered by some class loader of this JVM. */
    static final class Remote {
        private final MBeanServer server;
        private final ObjectName name;

        private Remote(MBeanServer server, ObjectName name) {
            this.server = server;
            this.name = name;
        }

        String call(String operation) {
            try {
                return (String) server.invoke(name, "call", new Object[]{operation}, new String[]{String.class.getName()});
            } catch (MBeanException e) {
                Exception cause = e.getTargetException();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(name + " " + operation + ": " + cause, cause);
            } catch (JMException e) {
                throw new IllegalStateException(name + " " + operation + ": " + e, e);
            }
        }
    }

    private JvmShared() {
    }

    /**
     * If {@code type} was loaded by a class loader other than the system class loader, and the system class loader
     * has its own copy of the class, calls {@code staticMethod} on that copy (which creates and registers the owner
     * there) and returns true. Returns false when the caller should own the instance itself.
     */
    static boolean createInSystemClassLoader(Class<?> type, String staticMethod) {
        ClassLoader system = ClassLoader.getSystemClassLoader();
        if (type.getClassLoader() == system) {
            return false;
        }
        Class<?> systemCopy;
        try {
            systemCopy = Class.forName(type.getName(), true, system);
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
        if (systemCopy == type) {
            return false;
        }
        try {
            systemCopy.getMethod(staticMethod).invoke(null);
            return true;
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /**
     * Registers {@code handle} under {@code name} unless something already is. Returns true when this handle was
     * registered (the caller owns the instance), false when another one already was.
     */
    static boolean register(String name, Function<String, String> handle) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName objectName = objectName(name);
        try {
            SharedHandleMBean bean = handle::apply;
            server.registerMBean(new StandardMBean(bean, SharedHandleMBean.class), objectName);
            return true;
        } catch (InstanceAlreadyExistsException e) {
            return false;
        } catch (JMException e) {
            throw new IllegalStateException("Cannot register " + objectName + ": " + e, e);
        }
    }

    /** The handle registered under {@code name}, or null. */
    static Remote lookup(String name) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName objectName = objectName(name);
        return server.isRegistered(objectName) ? new Remote(server, objectName) : null;
    }

    private static ObjectName objectName(String name) {
        try {
            return new ObjectName("io.plumbline.testing:type=" + name);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException(name, e);
        }
    }
}
