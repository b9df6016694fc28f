/* Mica's lwIP port as seen by the socket layer: socket state changes, delivered outside lwIP. */
#ifndef MICA_LWIP_PORT_H
#define MICA_LWIP_PORT_H

/*
 * fn(s, evt) runs whenever lwIP socket s gains data, room, a connection or an error (evt is an
 * enum netconn_evt), from whichever thread runs lwIP at the time: it must not block.
 */
void lwip_port_set_socket_event(void (*fn)(int s, int evt));

#endif
