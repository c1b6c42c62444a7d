#ifndef SLUICE_INPUT_H
#define SLUICE_INPUT_H

struct sl_server;
struct sl_input;

/*
 * Input devices for the seat: libinput on udev's seat0, its devices opened through libseat
 * (seatd, logind, or libseat's own builtin/noop backends as root; LIBSEAT_BACKEND picks one).
 * NULL, with the reason logged, when there is no session or no libinput context.
 */
struct sl_input *input_create(struct sl_server *server);
void input_destroy(struct sl_input *input);

#endif
