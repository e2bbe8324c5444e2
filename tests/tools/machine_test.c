/*
 * machine_test.c - unit test of daemon/capacity/machine.c: read the
 * machine's limits with /proc and the cgroup mounts under ROOT (a fixture
 * tree, or / for the machine itself) and print the cgroup fields, one
 * "name value" a line, for tests/capacity_cgroup.bats to compare.
 *
 * usage: machine_test ROOT
 */
#include <stdio.h>

#include "capacity/machine.h"

int
main(int argc, char **argv)
{
	static struct machine m;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: machine_test ROOT\n");
		return 100;
	}
	rc = machine_read_at(&m, argv[1]);
	printf("read %s\n", rc == 0 ? "ok" : "failed");
	printf("hierarchy %s\n", m.hierarchy);
	printf("memcg_version %d\n", m.memcg_version);
	printf("memcg_limit %lld\n", m.memcg_limit);
	printf("memcg_usage %lld\n", m.memcg_usage);
	printf("memcg %s\n", m.memcg);
	printf("pids_version %d\n", m.pids_version);
	printf("pids_max %lld\n", m.pids_max);
	printf("pids_current %lld\n", m.pids_current);
	printf("pids_cgroup %s\n", m.pids_cgroup);
	printf("mem_available %lld\n", m.mem_available);
	printf("pid_max %lld\n", m.pid_max);
	printf("tasks %lld\n", m.tasks);
	return 0;
}
