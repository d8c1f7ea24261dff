package org.guestagent.launcher;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.logging.Logger;

import org.guestagent.common.jars.SignedJars;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

/**
 * Lets FileInstall take a file of deploy/ or config/ only when it can be trusted
 * ({@link TrustedFiles}; in the signed-bundle mode a jar must also be signed by a trusted
 * certificate). It plugs into FileInstall's own hooks, ranked above FileInstall's built-in
 * handlers, so it is asked for every file FileInstall sees, new or changed:
 * <ul>
 * <li>jars of deploy/: an {@code ArtifactUrlTransformer} whose transform gives the jar's own URL
 * (FileInstall then installs or updates the bundle as usual) or null for a refused jar, which
 * FileInstall then does not install (or uninstalls, when a changed jar is refused);</li>
 * <li>.cfg files of config/: an {@code ArtifactInstaller} that hands a trusted file to
 * FileInstall's ConfigInstaller and refuses the others, keeping the configuration in place.</li>
 * </ul>
 * The launcher has no FileInstall classes on its class path: the two hooks are proxies of
 * FileInstall's interfaces, registered by the system bundle.
 */
final class DropInGate {
    private static final Logger LOG = Logger.getLogger(DropInGate.class.getName());
    private static final String FILEINSTALL = "org.apache.felix.fileinstall";
    private static final String INSTALLER = FILEINSTALL + ".ArtifactInstaller";
    private static final String URL_TRANSFORMER = FILEINSTALL + ".ArtifactUrlTransformer";

    private final BundleContext context;
    private final TrustedFiles trust;
    private final SignedJars signedJars;
    private final Path configDir;
    private final Path deployDir;

    DropInGate(BundleContext context, TrustedFiles trust, SignedJars signedJars, Path configDir, Path deployDir) {
        this.context = context;
        this.trust = trust;
        this.signedJars = signedJars;
        this.configDir = real(configDir);
        this.deployDir = real(deployDir);
    }

    /** Registers both hooks; the FileInstall bundle must be installed (it need not be started). */
    List<ServiceRegistration<?>> register(Bundle fileInstall) throws ClassNotFoundException {
        Class<?> installer = fileInstall.loadClass(INSTALLER);
        Class<?> transformer = fileInstall.loadClass(URL_TRANSFORMER);
        Hashtable<String, Object> top = new Hashtable<>(Map.of(Constants.SERVICE_RANKING, Integer.MAX_VALUE,
                Constants.SERVICE_DESCRIPTION, "guest agent: only trusted files of deploy/ and config/"));
        Object jars = Proxy.newProxyInstance(transformer.getClassLoader(), new Class<?>[] { transformer }, this::jarHook);
        Object configs = Proxy.newProxyInstance(installer.getClassLoader(), new Class<?>[] { installer }, this::configHook);
        return List.of(context.registerService(URL_TRANSFORMER, jars, top), context.registerService(INSTALLER, configs, top));
    }

    /** Null when the file may be loaded, else why not. */
    String refusal(File file) {
        String problem = trust.problem(file.toPath());
        if (problem == null && signedJars != null && file.getName().endsWith(".jar")) {
            problem = signedJars.problem(file.toPath());
        }
        return problem;
    }

    /** Compared by real path: FileInstall may name a file through another spelling of its folder. */
    private static boolean isIn(File file, Path folder) {
        Path parent = file.toPath().toAbsolutePath().getParent();
        return parent != null && folder.equals(real(parent));
    }

    private static Path real(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize();
        }
    }

    /**
     * FileInstall installs a folder of deploy/ by jarring it into its own temporary folder first,
     * where this gate would not recognise it: such a jar (named after the folder) is claimed here
     * and refused.
     */
    private boolean isJarredFolder(File file) {
        String name = file.getName();
        return name.endsWith(".jar") && !isIn(file, deployDir)
                && Files.isDirectory(deployDir.resolve(name.substring(0, name.length() - ".jar".length())));
    }

    private Object jarHook(Object proxy, Method method, Object[] args) throws Exception {
        switch (method.getName()) {
            case "canHandle": {
                File file = (File) args[0];
                if (isJarredFolder(file)) {
                    return true;
                }
                return isIn(file, deployDir) && file.getName().endsWith(".jar") && (refusal(file) != null || isBundle(file));
            }
            case "transform": {
                URL url = (URL) args[0];
                if (!"file".equals(url.getProtocol())) {
                    LOG.severe("refused " + url + ": only jar files are installed from " + deployDir + ", not folders");
                    return null;
                }
                File file = new File(url.toURI());
                String refusal = refusal(file);
                if (refusal != null) {
                    LOG.severe("refused " + file + ": " + refusal + "; it is not installed (or is removed; fix the file, then touch it to retry)");
                    return null;
                }
                return url;
            }
            default:
                return objectMethod(proxy, method, args);
        }
    }

    private Object configHook(Object proxy, Method method, Object[] args) throws Exception {
        switch (method.getName()) {
            case "canHandle": {
                File file = (File) args[0];
                if (!isIn(file, configDir) || !file.getName().endsWith(".cfg")) {
                    return false;
                }
                return refusal(file) != null || configInstaller() != null;
            }
            case "install":
            case "update": {
                File file = (File) args[0];
                String refusal = refusal(file);
                if (refusal != null) {
                    LOG.severe("refused " + file + ": " + refusal + "; its configuration is not applied");
                    return null;
                }
                return delegate(method, args);
            }
            case "uninstall":
                return configInstaller() == null ? null : delegate(method, args);
            default:
                return objectMethod(proxy, method, args);
        }
    }

    /** FileInstall's own ConfigInstaller (registered by it once ConfigAdmin is there), or null. */
    private ServiceReference<?> configInstaller() throws InvalidSyntaxException {
        ServiceReference<?>[] refs = context.getAllServiceReferences(INSTALLER, null);
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            Bundle owner = ref.getBundle();
            if (owner != null && FILEINSTALL.equals(owner.getSymbolicName())) {
                return ref;
            }
        }
        return null;
    }

    private Object delegate(Method method, Object[] args) throws Exception {
        ServiceReference<?> ref = configInstaller();
        Object installer = ref == null ? null : context.getService(ref);
        if (installer == null) {
            throw new IllegalStateException("FileInstall's configuration installer is gone");
        }
        try {
            return method.invoke(installer, args);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } finally {
            context.ungetService(ref);
        }
    }

    /** What FileInstall itself installs from deploy/: jars with a bundle manifest. */
    private static boolean isBundle(File file) {
        try (JarFile jar = new JarFile(file, false)) {
            return jar.getManifest() != null && jar.getManifest().getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private Object objectMethod(Object proxy, Method method, Object[] args) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            case "toString" -> "DropInGate(" + deployDir + ", " + configDir + ")";
            default -> throw new UnsupportedOperationException(method.getName());
        };
    }
}
