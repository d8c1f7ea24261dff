package org.guestagent.exchange.virtioserial;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Virtio-serial exchange", description = "Requests from a KVM host over the QEMU guest agent channel (qga)")
@interface VirtioSerialExchangeConfig {
    String PID = "org.guestagent.exchange.virtioserial";

    @AttributeDefinition(description = "virtio-serial (a character device the host opens and closes) or unix-listen (a socket the agent listens on, for tests and containers)")
    String mode() default "virtio-serial";

    @AttributeDefinition(description = "The virtio-serial port, or the socket to listen on")
    String path() default "/dev/virtio-ports/org.qemu.guest_agent.0";

    @AttributeDefinition(description = "Bytes of answers kept for a host that does not read; beyond it the connection and its backlog are dropped")
    int output_buffer_bytes() default 4 * 1024 * 1024;

    @AttributeDefinition(description = "The longest request kept; a longer one is answered as broken JSON")
    int request_max_bytes() default 16 * 1024 * 1024;

    @AttributeDefinition(description = "Milliseconds between looks at a virtio-serial port that no host holds open (the kernel tells a host's arrival only by SIGIO)")
    int idle_poll_millis() default 1000;
}
