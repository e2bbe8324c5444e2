#!/usr/bin/env bats
# man.bats - every man page in the tree is clean under mandoc -Tlint,
# warnings included.

load helpers

# Each .1, .5, .7 and .8 page git knows of (the tree's, outside build/,
# when there is no git).
man_pages() {
	(cd "$ROOT" && { git ls-files '*.[1578]' 2>/dev/null ||
	    find . -path ./build -prune -o -name '*.[1578]' -print; }) | sort -u
}

# lint_clean PAGE: mandoc has nothing to say about it.
lint_clean() {
	run mandoc -Tlint -W warning "$ROOT/$1"
	assert_output ''
	assert_success
}

@test "mandoc -Tlint: myriadd.8 is clean" { lint_clean daemon/myriadd.8; }
@test "mandoc -Tlint: myriadctl.8 is clean" { lint_clean daemon/myriadctl/myriadctl.8; }
@test "mandoc -Tlint: myriad.conf.5 is clean" { lint_clean conf/myriad.conf.5; }
@test "mandoc -Tlint: myriad-worker.7 is clean" { lint_clean lib/rt/myriad-worker.7; }

@test "mandoc -Tlint: every other man page in the tree is clean" {
	local page
	for page in $(man_pages); do
		case $page in
		daemon/myriadd.8|daemon/myriadctl/myriadctl.8|conf/myriad.conf.5|lib/rt/myriad-worker.7)
			continue ;;
		esac
		lint_clean "$page"
	done
}
