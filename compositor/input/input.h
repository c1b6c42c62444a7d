#ifndef SLUICE_INPUT_H
#define SLUICE_INPUT_H

struct sl_input;
struct sl_seat;
struct sl_server;
struct sl_session;

/*
 * Input devices for the seat: libinput on the session's udev seat, its devices opened through
 * the session. Every event of the user's is also server->events.input_activity. NULL, with the
 * reason logged, without a session or a libinput context.
 */
struct sl_input *input_create(struct sl_server *server, struct sl_seat *seat,
			      struct sl_session *session);
void input_destroy(struct sl_input *input);

#endif
