#ifndef SLUICE_DATA_DEVICE_H
#define SLUICE_DATA_DEVICE_H

struct sl_seat;
struct sl_server;
struct sl_data_device_manager;
struct wl_client;

/*
 * wl_data_device_manager v3: the clipboard (selection), between clients and within one, which
 * toolkits (GTK, Qt, Chromium) expect to exist. The selection is offered to the client with
 * keyboard focus, as the protocol says. Drag and drop is refused: the source is cancelled.
 */
struct sl_data_device_manager *data_device_manager_create(struct sl_server *server,
							  struct sl_seat *seat);
/* Before the seat: it stops listening to the seat's focus. */
void data_device_manager_destroy(struct sl_data_device_manager *manager);

#endif
