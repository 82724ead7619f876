#include "h.h"
int main(){
 setvbuf(stdout,NULL,_IONBF,0); std();
 mkdir("ro_dir",0755); mkf("ro_dir/rf","x"); mkdir("ro_dir/sd",0755);
 pid_t pid=fork();
 if(pid==0){
   setresgid(65534,65534,65534); setresuid(65534,65534,65534);
   T("[nobody] unlink(ro_dir/rf/) ENOTDIR vs EACCES", unlink("ro_dir/rf/"));
   T("[nobody] unlink(ro_dir/sd/) EISDIR vs EACCES", unlink("ro_dir/sd/"));
   T("[nobody] unlink(ro_dir/sd) EISDIR vs EACCES (no slash)", unlink("ro_dir/sd"));
   T("[nobody] rmdir(ro_dir/.) ", rmdir("ro_dir/."));
   T("[nobody] rename(ro_dir/rf/, x) ", rename("ro_dir/rf/","ro_dir/x"));
   T("[nobody] rename(ro_dir/rf, ro_dir/sd) EISDIR vs EACCES", rename("ro_dir/rf","ro_dir/sd"));
   T("[nobody] symlink(t, ro_dir/new)", symlink("t","ro_dir/new"));
   T("[nobody] link(ro_dir/rf, ro_dir/new) 0644 root src", link("ro_dir/rf","ro_dir/new"));
   T("[nobody] open(ro_dir/rf, O_RDONLY|O_TRUNC)", open("ro_dir/rf",O_RDONLY|O_TRUNC));
   T("[nobody] open(ro_dir/sd, O_RDWR) EISDIR vs EACCES", open("ro_dir/sd",O_RDWR));
   T("[nobody] open(ro_dir/sd, O_CREAT) EISDIR", open("ro_dir/sd",O_CREAT|O_RDONLY,0644));
   _exit(0);
 }
 waitpid(pid,NULL,0);
 umount2(M,MNT_DETACH);
 return 0;
}
