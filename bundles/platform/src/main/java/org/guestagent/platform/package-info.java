/** JNA access to libc and libcrypt; private to the platform bundle. */
package org.guestagent.platform;
