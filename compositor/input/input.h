#ifndef SLUICE_INPUT_H
#define SLUICE_INPUT_H

struct sl_server;
struct sl_input;

/*
 * Input devices for the seat: libinput on the session's udev seat, its devices opened through
 * server->session. NULL, with the reason logged, without a session or a libinput context.
 */
struct sl_input *input_create(struct sl_server *server);
void input_destroy(struct sl_input *input);

#endif
