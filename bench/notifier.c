/*
 * notifier: the small daemon bench/compare.sh starts with every tool it compares.
 *
 * It sends READY=1 to $NOTIFY_SOCKET (sd_notify, by hand: a unix datagram; a leading '@'
 * names an abstract socket) if that is set, then waits for SIGTERM or SIGINT and exits 0 at
 * once. It never forks. Without $NOTIFY_SOCKET it only waits. A send that fails exits 1, so
 * that a broken readiness path shows as a failed start rather than a slow one.
 *
 * Built by compare.sh with the system's C compiler; without one, the script uses
 * bench/helper's `notifier` mode instead, which does the same in Go (and says so).
 */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(void)
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL); /* before READY: a stop that comes at once waits */

	const char *path = getenv("NOTIFY_SOCKET");
	if (path != NULL && *path != '\0') {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		size_t n = strlen(path);
		if (n >= sizeof sa.sun_path)
			return 1;
		memcpy(sa.sun_path, path, n);
		if (sa.sun_path[0] == '@')
			sa.sun_path[0] = '\0';
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 1;
		socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		if (sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa, len) != 7)
			return 1;
		close(fd);
	}
	int sig;
	sigwait(&stop, &sig);
	return 0;
}
