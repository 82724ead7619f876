#include "h.h"
struct linux_dirent64 { uint64_t d_ino; int64_t d_off; unsigned short d_reclen; unsigned char d_type; char d_name[]; };
int main(){
 reset();
 mkf("a",NULL); pst("a");
 syscall(SYS_renameat2,AT_FDCWD,"a",AT_FDCWD,"b",4); pst("a"); pst("b");
 mkf("c",NULL); pst("c");
 mknod("chr",S_IFCHR|0644,makedev(1,3)); mknod("sock",S_IFSOCK|0644,0);
 int fd=open(".",O_RDONLY|O_DIRECTORY); char buf[4096]; long n=syscall(SYS_getdents64,fd,buf,sizeof buf);
 for(long o=0;o<n;){ struct linux_dirent64*d=(void*)(buf+o); printf(" %s(ino=%lu,t=%d)",d->d_name,d->d_ino,d->d_type); o+=d->d_reclen;} printf("\n");
 close(fd); chdir("/"); umount2(M,MNT_DETACH);
 return 0;
}
