/**
 * The contracts of the agent's first API, kept so that command bundles built against it still
 * load and run: the core adapts their command sets to {@link org.guestagent.api.command}.
 *
 * @deprecated write command sets against {@link org.guestagent.api.command}, transports against
 *             {@link org.guestagent.api.transport}, tools against {@link org.guestagent.api.runtime};
 *             see the README ("Migrating a command bundle").
 */
@Deprecated
@Export
@Version("1.3.0")
package org.guestagent.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
