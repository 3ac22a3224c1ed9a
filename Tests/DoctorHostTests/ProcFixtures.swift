import DoctorFacts
import DoctorParsers

/// Text captured from /proc on the build machine (Debian 12, kernel 6.x, x86_64) with
/// python listeners on 127.0.0.1:8000, [::]:8080 (dual stack), [::1]:9000, 0.0.0.0:80,
/// a unix socket /tmp/cap/gunicorn.sock and an abstract socket, plus client connections
/// (one of them to the dual-stack port, which shows up as an IPv4-mapped address), and
/// an nginx 1.22 master and worker (`user www-data`).
enum ProcFixtures {
    static let tcp = """
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 16900 2 00000000aaab9ad2 100 0 0 10 0                     
   2: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 16903 1 00000000415da6e3 100 0 0 10 0                     
   3: 0100007F:8F1C 0100007F:1F40 01 00000000:00000000 00:00000000 00000000     0        0 16907 2 0000000064d31d8c 20 0 0 10 -1                     
   4: 0100007F:1F40 0100007F:8F1C 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000016eb5a7c 20 0 0 10 -1                         
   5: 0100007F:D76E 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 16906 2 000000000718c00d 20 0 0 10 -1                     
   6: 0100007F:9864 0100007F:4A37 06 00000000:00000000 03:0000095B 00000000     0        0 0 3 000000003cb1741f                                      
   7: 0100007F:9872 0100007F:4A37 06 00000000:00000000 03:0000095C 00000000     0        0 0 3 0000000097051bb9                                      
"""

    static let tcp6 = """
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 16901 2 000000009b0da6ac 100 0 0 10 0
   1: 00000000000000000000000001000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 16902 1 0000000092f85e92 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D76E 01 00000000:00000000 00:00000000 00000000     0        0 0 1 000000009311c060 20 0 0 10 -1
"""

    static let unix = """
Num       RefCount Protocol Flags    Type St Inode Path
00000000cdc4badd: 00000002 00000000 00010000 0001 01 16904 /tmp/cap/gunicorn.sock
0000000016944888: 00000003 00000000 00000000 0001 03    26
00000000835751c6: 00000003 00000000 00000000 0001 03 16908
000000000a05718e: 00000003 00000000 00000000 0001 02     0 /tmp/cap/gunicorn.sock
00000000cc4d92db: 00000003 00000000 00000000 0001 03    27
00000000242851b6: 00000002 00000000 00010000 0001 01 16905 @gwdoctor-abstract
"""

    /// python3 running as root: `Groups:` is empty but for a trailing space.
    static let rootStatus = """
Name:	python3
Umask:	0022
State:	S (sleeping)
Tgid:	6634
Ngid:	0
Pid:	6634
PPid:	6630
TracerPid:	0
Uid:	0	0	0	0
Gid:	0	0	0	0
FDSize:	256
Groups:	 
NStgid:	6634
NSpid:	6634
NSpgid:	6630
NSsid:	3801
Kthread:	0
VmPeak:	   16904 kB
VmSize:	   16904 kB
VmLck:	       0 kB
VmPin:	       0 kB
VmHWM:	   14116 kB
VmRSS:	   14116 kB
RssAnon:	    7232 kB
RssFile:	    6884 kB
RssShmem:	       0 kB
VmData:	    8088 kB
VmStk:	     132 kB
VmExe:	       4 kB
VmLib:	    4756 kB
VmPTE:	      72 kB
VmSwap:	       0 kB
HugetlbPages:	       0 kB
CoreDumping:	0
THP_enabled:	1
untag_mask:	0xffffffffffffffff
Threads:	1
SigQ:	0/96365
SigPnd:	0000000000000000
ShdPnd:	0000000000000000
SigBlk:	0000000000000000
SigIgn:	0000000001001006
SigCgt:	0000000000000000
CapInh:	0000000000000000
CapPrm:	000001fffeffffff
CapEff:	000001fffeffffff
CapBnd:	000001fffeffffff
CapAmb:	0000000000000000
NoNewPrivs:	0
Seccomp:	0
Seccomp_filters:	0
Speculation_Store_Bypass:	vulnerable
SpeculationIndirectBranch:	always enabled
Cpus_allowed:	3
Cpus_allowed_list:	0-1
Mems_allowed:	00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000001
Mems_allowed_list:	0
voluntary_ctxt_switches:	17
nonvoluntary_ctxt_switches:	2
"""

    /// nginx worker after dropping privileges to www-data.
    static let workerStatus = """
Name:	nginx
Umask:	0000
State:	S (sleeping)
Tgid:	12163
Ngid:	0
Pid:	12163
PPid:	12161
TracerPid:	0
Uid:	33	33	33	33
Gid:	33	33	33	33
FDSize:	256
Groups:	33 
NStgid:	12163
NSpid:	12163
NSpgid:	12161
NSsid:	12161
Kthread:	0
VmPeak:	   11748 kB
VmSize:	   11748 kB
VmLck:	       0 kB
VmPin:	       0 kB
VmHWM:	    3980 kB
VmRSS:	    3980 kB
RssAnon:	    1192 kB
RssFile:	    2788 kB
RssShmem:	       0 kB
VmData:	     904 kB
VmStk:	     132 kB
VmExe:	     768 kB
VmLib:	    5732 kB
VmPTE:	      60 kB
VmSwap:	       0 kB
HugetlbPages:	       0 kB
CoreDumping:	0
THP_enabled:	1
untag_mask:	0xffffffffffffffff
Threads:	1
SigQ:	0/96365
SigPnd:	0000000000000000
ShdPnd:	0000000000000000
SigBlk:	0000000000000000
SigIgn:	0000000040001000
SigCgt:	0000000018016a07
CapInh:	0000000000000000
CapPrm:	0000000000000000
CapEff:	0000000000000000
CapBnd:	000001fffeffffff
CapAmb:	0000000000000000
NoNewPrivs:	0
Seccomp:	0
Seccomp_filters:	0
Speculation_Store_Bypass:	vulnerable
SpeculationIndirectBranch:	always enabled
Cpus_allowed:	3
Cpus_allowed_list:	0-1
Mems_allowed:	00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000001
Mems_allowed_list:	0
voluntary_ctxt_switches:	2
nonvoluntary_ctxt_switches:	0
"""

    /// nginx rewrites argv: the master is one string with spaces, the worker is padded with NULs.
    static let nginxMasterCmdline: [UInt8] = Array("nginx: master process nginx -c /tmp/cap/nginx.conf -e /tmp/cap/error.log\u{0}".utf8)
    static let nginxWorkerCmdline: [UInt8] = Array("nginx: worker process".utf8) + [UInt8](repeating: 0, count: 30)

    static let passwd = """
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
cloudsdk:x:1000:1000::/home/cloudsdk:/bin/bash
systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin
systemd-timesync:x:997:997:systemd Time Synchronization:/:/usr/sbin/nologin
messagebus:x:100:102::/nonexistent:/usr/sbin/nologin
polkitd:x:996:996:polkit:/nonexistent:/usr/sbin/nologin
postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash
caddy:x:999:995:Caddy web server:/var/lib/caddy:/usr/sbin/nologin
"""

    static let group = """
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
kmem:x:15:
dialout:x:20:
fax:x:21:
voice:x:22:
cdrom:x:24:
floppy:x:25:
tape:x:26:
sudo:x:27:
audio:x:29:
dip:x:30:
www-data:x:33:caddy
backup:x:34:
operator:x:37:
list:x:38:
irc:x:39:
src:x:40:
shadow:x:42:
utmp:x:43:
video:x:44:
sasl:x:45:
plugdev:x:46:
staff:x:50:
games:x:60:
users:x:100:
nogroup:x:65534:
cloudsdk:x:1000:
_ssh:x:101:
systemd-journal:x:999:
systemd-network:x:998:
systemd-timesync:x:997:
messagebus:x:102:
polkitd:x:996:
ssl-cert:x:103:postgres
postgres:x:104:
caddy:x:995:
"""
}
