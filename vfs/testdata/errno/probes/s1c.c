#include "h.h"
int main(){
 std(); signal(SIGPIPE, SIG_IGN);
 int fd,fd2; char buf[16];
 T("open(p,O_RDONLY|O_NONBLOCK) no writer", fd=open("p",O_RDONLY|O_NONBLOCK));
 T("  read() empty, no writer", read(fd,buf,16));
 close(fd);
 T("open(p,O_WRONLY|O_NONBLOCK) no reader", open("p",O_WRONLY|O_NONBLOCK));
 T("open(p,O_RDWR)", fd=open("p",O_RDWR));
 T("  read(O_RDWR fifo) would block? use nonblock fcntl", ({fcntl(fd,F_SETFL,O_NONBLOCK); read(fd,buf,16);}));
 close(fd);
 // writer present, reader nonblocking, empty
 fd=open("p",O_RDONLY|O_NONBLOCK); fd2=open("p",O_WRONLY|O_NONBLOCK);
 T("  open(p,O_WRONLY|O_NONBLOCK) with reader", fd2);
 T("  read() empty nonblock with writer", read(fd,buf,16));
 T("  write(3)", write(fd2,"abc",3));
 T("  read()", read(fd,buf,16));
 close(fd2);
 T("  read() after writer closed", read(fd,buf,16));
 close(fd);
 // write with no readers
 fd=open("p",O_RDWR); fd2=open("p",O_WRONLY); close(fd);
 T("write(fifo) no readers (SIGPIPE ignored)", write(fd2,"abc",3));
 close(fd2);
 fd=open("p",O_RDWR);
 T("pread(fifo)", pread(fd,buf,1,0));
 T("pwrite(fifo)", pwrite(fd,"a",1,0));
 T("lseek(fifo,0,SEEK_CUR)", lseek(fd,0,SEEK_CUR));
 T("lseek(fifo,0,SEEK_SET)", lseek(fd,0,SEEK_SET));
 T("ftruncate(fifo fd)", ftruncate(fd,0));
 T("fstat ok", ({struct stat st; fstat(fd,&st);}));
 close(fd);
 // pipe
 int pp[2]; pipe(pp);
 T("lseek(pipe)", lseek(pp[0],0,SEEK_CUR));
 T("pread(pipe)", pread(pp[0],buf,1,0));
 close(pp[0]); close(pp[1]);
 // O_APPEND + pwrite
 mkf("ap","0123456789");
 fd=open("ap",O_WRONLY|O_APPEND);
 T("pwrite(O_APPEND fd,\"XY\",off=2)", pwrite(fd,"XY",2,2));
 { char b[64]={0}; int r=open("ap",O_RDONLY); int n=read(r,b,63); close(r); printf("  content now: '%.*s' (len %d)\n", n,b,n);}
 T("  lseek(fd,0,SEEK_CUR) after pwrite", lseek(fd,0,SEEK_CUR));
 T("pwritev2(O_APPEND fd, RWF_NOAPPEND, off=2)", ({struct iovec iv={"ZZ",2}; pwritev2(fd,&iv,1,2,0x20);}));
 { char b[64]={0}; int r=open("ap",O_RDONLY); int n=read(r,b,63); close(r); printf("  content now: '%.*s' (len %d)\n", n,b,n);}
 close(fd);
 // O_APPEND write position after lseek
 fd=open("ap",O_RDWR|O_APPEND); lseek(fd,0,SEEK_SET);
 T("write after lseek(0) on O_APPEND", write(fd,"Q",1));
 T("  pos after", lseek(fd,0,SEEK_CUR));
 close(fd);
 return 0;
}
